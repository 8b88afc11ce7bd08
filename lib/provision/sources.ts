import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.ts';
import { fileNameOfUrl } from './artifacts.ts';
import type { ArtifactLocation } from './ports.ts';

/** A stand-in for the internet on air-gapped runners: a directory, or a base URL (e.g. an internal server). */
export type Mirror = { kind: 'dir'; dir: string } | { kind: 'base-url'; url: string };

const MIRROR_ALLOWED = 'a directory, a file:// URL of one, or an http(s) base URL';
const MIRROR_HINT = 'Pass a directory holding the artifacts under their release file names, or an http(s) base URL serving them.';

/**
 * Parses `--mirror DIR|URL` (or the variable named by `option`): http(s) URLs are base URLs,
 * `file://` URLs are directories (percent-decoded), anything without a `scheme://` is a directory
 * resolved against `cwd`. Any other scheme, or a URL that does not parse, is a usage error.
 */
export function parseMirror(value: string, cwd: string, option = '--mirror'): Mirror {
  const text = value.trim();
  if (text === '') throw usage(`${option} must not be empty: give ${MIRROR_ALLOWED}`, MIRROR_HINT);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return { kind: 'dir', dir: path.resolve(cwd, text) };
  const url = parseUrl(text, option, MIRROR_ALLOWED, MIRROR_HINT);
  if (url.protocol === 'file:') {
    try {
      return { kind: 'dir', dir: path.resolve(fileURLToPath(url)) };
    } catch (error) {
      throw usage(`${option} ${JSON.stringify(text)} is not a usable file URL (${(error as Error).message}): give ${MIRROR_ALLOWED}, e.g. file:///srv/mirror`, MIRROR_HINT);
    }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usage(`${option} ${JSON.stringify(text)}: only http, https and file URLs (or a directory) are supported`, MIRROR_HINT);
  }
  if (url.search !== '' || url.hash !== '') {
    throw usage(`${option} ${JSON.stringify(text)} must not have a query or fragment: the artifact's file name is appended to the base URL's path`, MIRROR_HINT);
  }
  return { kind: 'base-url', url: url.href.endsWith('/') ? url.href : `${url.href}/` };
}

/**
 * Checks an artifact URL given by the operator (`--kernel-url`, or the variable named by
 * `option`): it must parse, be http(s), and end in a file name that decodes (the name a mirror is
 * asked for). Returns it unchanged; anything else is a usage error naming the option and value.
 */
export function parseArtifactUrl(value: string, option: string, hint: string): string {
  const allowed = 'an http(s) URL ending in the file name';
  if (/[\s\x00-\x1f\x7f]/.test(value)) throw usage(`${option} ${JSON.stringify(value)} contains spaces or control characters: give ${allowed} (percent-encode a space as %20)`, hint);
  const url = parseUrl(value, option, allowed, hint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`${option} must be an http(s) URL, got ${JSON.stringify(value)}`, hint);
  const last = url.pathname.split('/').pop() ?? '';
  try {
    decodeURIComponent(last);
  } catch {
    throw usage(`${option} ${JSON.stringify(value)} ends in ${JSON.stringify(last)}, whose percent-encoding is not valid UTF-8: give ${allowed}`, hint);
  }
  try {
    fileNameOfUrl(url.href);
  } catch {
    throw usage(`${option} ${JSON.stringify(value)} does not end in a file name: give ${allowed}`, hint);
  }
  return value;
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

/** `new URL`, with its TypeError (bad syntax, port out of range, …) turned into a usage error. */
function parseUrl(text: string, option: string, allowed: string, hint: string): URL {
  try {
    return new URL(text);
  } catch {
    throw usage(`${option} ${JSON.stringify(text)} is not a valid URL (check its host, port 1-65535 and brackets): give ${allowed}`, hint);
  }
}

function usage(summary: string, hint: string): UsageError {
  return new UsageError({ code: 'USAGE', summary, hint });
}
