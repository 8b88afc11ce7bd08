import path from 'node:path';
import { canAccess, formatMode, type AccessWant } from '../../host/permissions.ts';
import type { FileInfo, Host, Identity } from '../../host/types.ts';

/** Returns "alice (uid 1000)" for messages. */
export function describeUser(who: Identity): string {
  return `${who.name} (uid ${who.uid})`;
}

/** Returns "root:kvm" (names where the databases know them, numbers otherwise). */
export async function describeOwner(host: Host, info: FileInfo): Promise<string> {
  const [user, group] = await Promise.all([host.users.userName(info.uid), host.users.groupById(info.gid)]);
  return `${user ?? info.uid}:${group?.name ?? info.gid}`;
}

/**
 * True when the access of `who` must be computed rather than observed: under sudo (or whenever
 * the judged user is not this process), because root passes every access check. When the judged
 * user is this process, the real operation (open, read, write, connect) is the truth, ACLs included.
 */
export function mustComputeAccess(host: Host, who: Identity): boolean {
  return who.viaSudo || who.uid !== host.users.effectiveUid();
}

/**
 * Returns why `who` cannot get `want` access to the file (its own mode, owner and groups, and
 * search permission on every parent directory), or null when it can. Computed like the kernel
 * does, without ACLs. A parent that cannot be stat'ed is not judged (the file itself was found).
 */
export async function accessProblem(host: Host, info: FileInfo, who: Identity, want: AccessWant): Promise<string | null> {
  if (who.uid === 0 && !want.includes('x')) return null;
  for (let dir = path.dirname(info.path); who.uid !== 0; dir = path.dirname(dir)) {
    const parent = await host.fs.stat(dir).catch(() => null);
    if (parent && parent.kind === 'directory' && !canAccess(parent, who, 'x')) {
      return `${describeUser(who)} cannot reach ${info.path}: ${dir} is mode ${formatMode(parent.mode)} ${await describeOwner(host, parent)}`;
    }
    if (dir === path.dirname(dir)) break;
  }
  if (canAccess(info, who, want)) return null;
  return `${describeUser(who)} cannot ${verb(want)} ${info.path}: mode ${formatMode(info.mode)} ${await describeOwner(host, info)}`;
}

function verb(want: AccessWant): string {
  const words = { r: 'read', w: 'write', x: 'execute' } as const;
  return [...want].map((letter) => words[letter as keyof typeof words]).join('+');
}

/** Returns "a directory", "a socket", … for messages about what was found at a path. */
export function describeKind(kind: FileInfo['kind']): string {
  const words: Record<FileInfo['kind'], string> = {
    file: 'a regular file',
    directory: 'a directory',
    'char-device': 'a character device',
    'block-device': 'a block device',
    socket: 'a socket',
    fifo: 'a FIFO',
    symlink: 'a symlink',
  };
  return words[kind];
}
