import path from 'node:path';
import { UsageError } from '../errors.ts';
import { fileNameOfUrl } from './artifacts.ts';
import type { ArtifactLocation } from './ports.ts';

/** A stand-in for the internet on air-gapped runners: a directory, or a base URL (e.g. an internal server). */
export type Mirror = { kind: 'dir'; dir: string } | { kind: 'base-url'; url: string };

/**
 * Parses `--mirror DIR|URL`: http(s) URLs are base URLs, `file://` URLs and everything else are
 * directories (relative ones resolved against `cwd`). Any other URL scheme is a usage error.
 */
export function parseMirror(value: string, cwd: string): Mirror {
  const text = value.trim();
  if (text === '') throw usage('--mirror must not be empty');
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw usage(`--mirror ${JSON.stringify(text)} is not a valid URL`);
    }
    return { kind: 'base-url', url: url.href.endsWith('/') ? url.href : `${url.href}/` };
  }
  if (/^file:\/\//i.test(text)) return { kind: 'dir', dir: path.resolve(new URL(text).pathname) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw usage(`--mirror ${JSON.stringify(text)}: only http, https and file URLs (or a directory) are supported`);
  return { kind: 'dir', dir: path.resolve(cwd, text) };
}

/** Returns where to fetch `url` from: the URL itself, or the same file name in the mirror. */
export function locateArtifact(url: string, mirror: Mirror | null): ArtifactLocation {
  if (!mirror) return { kind: 'url', url };
  const name = fileNameOfUrl(url);
  if (mirror.kind === 'dir') return { kind: 'file', path: path.join(mirror.dir, name) };
  return { kind: 'url', url: new URL(encodeURIComponent(name), mirror.url).href };
}

/** Renders a location for the plan and messages. */
export function describeLocation(location: ArtifactLocation): string {
  return location.kind === 'url' ? location.url : `mirror file ${location.path}`;
}

function usage(summary: string): UsageError {
  return new UsageError({
    code: 'USAGE',
    summary,
    hint: 'Pass a directory holding the artifacts under their release file names, or an http(s) base URL serving them.',
  });
}
