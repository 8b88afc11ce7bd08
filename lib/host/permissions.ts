import type { FileInfo, Identity } from './types.ts';

/** The access a check asks about. */
export type AccessWant = 'r' | 'w' | 'x' | 'rw' | 'rx' | 'wx';

/**
 * Computes from mode, owner and groups whether `who` may access a file, as the kernel would
 * (ignoring ACLs and capabilities other than root's). Needed because access(2) says yes to root.
 */
export function canAccess(info: FileInfo, who: Identity, want: AccessWant): boolean {
  if (who.uid === 0) {
    // Root reads and writes anything; it may execute when any execute bit is set (or it is a directory).
    return !want.includes('x') || info.kind === 'directory' || (info.mode & 0o111) !== 0;
  }
  const shift = info.uid === who.uid ? 6 : who.groups.includes(info.gid) || info.gid === who.gid ? 3 : 0;
  const bits = (info.mode >> shift) & 0o7;
  const needed = (want.includes('r') ? 4 : 0) | (want.includes('w') ? 2 : 0) | (want.includes('x') ? 1 : 0);
  return (bits & needed) === needed;
}

/** Formats permission bits the way ls and the upstream doctors print them (0660). */
export function formatMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}
