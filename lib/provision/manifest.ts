/**
 * The install manifest: what setup put in place and from what. A rerun compares it (and the
 * files' sha256) with what it would install, and downloads nothing when they match. The file is
 * written by setup only; anything unreadable in it is treated as "no record", never trusted.
 */
import { normaliseSha256 } from './artifacts.ts';
import type { InstallFs } from './ports.ts';

/** The manifest's format tag. */
export const MANIFEST_FORMAT = 'octolab-verify-install/1';

/** What setup recorded about the Firecracker binaries. */
export interface FirecrackerRecord {
  version: string;
  tarballSha256: string;
  /** Installed path → its sha256. */
  files: Record<string, string>;
}

/** What setup recorded about the kernel. */
export interface KernelRecord {
  url: string;
  sha256: string;
  /** False when the operator accepted the kernel without a checksum. */
  verified: boolean;
}

/** The octolab-verify link setup put on PATH: rollback removes it only while it still points there. */
export interface LauncherRecord {
  link: string;
  target: string;
}

/** The microvm-netd unit setup installed: rollback removes it only while it is unchanged. */
export interface NetdUnitRecord {
  path: string;
  sha256: string;
}

/** The whole manifest. */
export interface InstallManifest {
  format: typeof MANIFEST_FORMAT;
  firecracker?: FirecrackerRecord;
  kernel?: KernelRecord;
  launcher?: LauncherRecord;
  netdUnit?: NetdUnitRecord;
}

/** Reads the manifest; a missing or malformed one is an empty record. */
export async function readManifest(fs: InstallFs, file: string): Promise<InstallManifest> {
  const text = await fs.readText(file);
  return text === null ? { format: MANIFEST_FORMAT } : parseManifest(text);
}

/** Parses manifest text, keeping only well-formed parts. */
export function parseManifest(text: string): InstallManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { format: MANIFEST_FORMAT };
  }
  const manifest: InstallManifest = { format: MANIFEST_FORMAT };
  if (!isObject(raw) || raw.format !== MANIFEST_FORMAT) return manifest;
  const fc = raw.firecracker;
  if (isObject(fc) && typeof fc.version === 'string' && typeof fc.tarballSha256 === 'string' && isObject(fc.files)) {
    const files = Object.entries(fc.files).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && normaliseSha256(entry[1]) !== null);
    manifest.firecracker = { version: fc.version, tarballSha256: fc.tarballSha256, files: Object.fromEntries(files) };
  }
  const kernel = raw.kernel;
  if (isObject(kernel) && typeof kernel.url === 'string' && typeof kernel.sha256 === 'string' && typeof kernel.verified === 'boolean') {
    manifest.kernel = { url: kernel.url, sha256: kernel.sha256, verified: kernel.verified };
  }
  const launcher = raw.launcher;
  if (isObject(launcher) && typeof launcher.link === 'string' && typeof launcher.target === 'string') manifest.launcher = { link: launcher.link, target: launcher.target };
  const unit = raw.netdUnit;
  if (isObject(unit) && typeof unit.path === 'string' && typeof unit.sha256 === 'string' && normaliseSha256(unit.sha256) !== null) manifest.netdUnit = { path: unit.path, sha256: unit.sha256 };
  return manifest;
}

/** Writes the manifest atomically (mode 0644). */
export async function writeManifest(fs: InstallFs, file: string, manifest: InstallManifest): Promise<void> {
  await fs.writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
