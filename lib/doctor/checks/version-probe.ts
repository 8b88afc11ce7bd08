import { HostError } from '../../errors.ts';
import type { HostProcesses } from '../../host/types.ts';
import type { VersionConstraint } from '../../config/index.ts';
import { clip } from '../verdict.ts';

/** Upstream's standalone doctor gives a `--version` call this long. */
export const VERSION_TIMEOUT_MS = 3000;

/** What `<file> --version` produced: its first line, or why there is none. */
export type VersionProbe =
  | { ok: true; firstLine: string }
  | { ok: false; problem: 'spawn' | 'timeout' | 'exit'; text: string };

/** Runs `<file> --version` (argument array, timeout) and returns its first stdout line, made safe to show. */
export async function probeVersion(proc: HostProcesses, file: string, timeoutMs = VERSION_TIMEOUT_MS): Promise<VersionProbe> {
  let result;
  try {
    result = await proc.run(file, ['--version'], { timeoutMs });
  } catch (error) {
    const errno = error instanceof HostError ? error.errno : undefined;
    return { ok: false, problem: 'spawn', text: `could not start: ${errno ?? clip(String((error as Error).message), 100)}` };
  }
  if (result.timedOut) return { ok: false, problem: 'timeout', text: `timed out after ${timeoutMs / 1000} s` };
  if (result.exitCode !== 0) {
    const how = result.exitCode === null ? `killed by ${result.signal ?? 'a signal'}` : `exit ${result.exitCode}`;
    const stderr = clip(result.stderr.slice(0, 500), 100);
    return { ok: false, problem: 'exit', text: stderr ? `${how}: ${stderr}` : how };
  }
  // Only the first line counts: Firecracker prints a blank line and a log line after it.
  return { ok: true, firstLine: clip(result.stdout.slice(0, 500).split('\n')[0] ?? '', 80) };
}

/** A parsed `X vMAJOR.MINOR.PATCH` version. */
export type Semver = [number, number, number];

/** Parses `Firecracker v1.7.0` (or `Jailer v1.7.0`) from a first line; null when it does not match. */
export function parseVersionLine(line: string, program: 'Firecracker' | 'Jailer'): Semver | null {
  const match = new RegExp(`^${program} v(\\d+)\\.(\\d+)\\.(\\d+)(?:[-+.\\w]*)$`).exec(line.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

/** True when `found` meets the constraint: exact, same major.minor, or at least. */
export function satisfiesVersion(found: Semver, constraint: VersionConstraint): boolean {
  const [a, b, c] = found;
  const [x, y, z] = constraint.version;
  if (constraint.op === 'exact') return a === x && b === y && c === z;
  if (constraint.op === 'minor') return a === x && b === y;
  return a !== x ? a > x : b !== y ? b > y : c >= z;
}

/** Returns "1.7.0", "1.7.x" or ">=1.7.0" for messages. */
export function describeConstraint(constraint: VersionConstraint): string {
  const text = constraint.version.join('.');
  if (constraint.op === 'minor') return `${constraint.version[0]}.${constraint.version[1]}.x`;
  return constraint.op === 'at-least' ? `>=${text}` : text;
}
