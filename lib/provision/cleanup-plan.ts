/**
 * Deciding what a crash left behind, as a pure function of an inventory. Only three kinds of thing
 * are ever chosen, each by proof of ownership, never by a process or link name alone:
 *   - a process whose `--api-sock` argument is a file directly inside <state_dir>/lab_<uuid>/;
 *   - an obr/otp link whose alias is exactly `octolab:lab=<uuid>` and whose name derives from it;
 *   - a lab_<uuid> directory of the configured state dir (not a symlink).
 * `--older-than` keeps anything of a lab that was active more recently.
 */
import path from 'node:path';
import type { FileKind } from '../host/types.ts';
import { labIdOfDirName } from '../firecracker/lab-layout.ts';
import type { LinkState } from '../netd/links.ts';
import { labLinkNames, parseOwnerAlias } from '../netd/names.ts';
import { renderAge } from './duration.ts';
import type { ProcessEntry } from './ports.ts';

/** One lab_<uuid> entry of the state dir. */
export interface LabDirFacts {
  labId: string;
  path: string;
  kind: FileKind;
  /** The newest mtime of the directory and its entries (epoch ms). */
  lastActivityMs: number;
  /** Unix sockets inside (API socket, vsock). */
  sockets: string[];
  /** The pid in firecracker.pid, or null when absent or not a number. */
  pidFromFile: number | null;
  /** Why firecracker.pid was not read or no pid was taken from it (a FIFO, a symlink, too long); null when absent or read. */
  pidFileIgnored: string | null;
}

/** A lab-family link and the namespace it is in (null: the namespace cleanup runs in). */
export interface LinkFacts {
  netns: string | null;
  link: LinkState;
}

/** Everything cleanup looked at. */
export interface CleanupInventory {
  /** The configured state dir, resolved, and its realpath when it exists (a process may use either). */
  stateDirs: string[];
  labDirs: LabDirFacts[];
  processes: ProcessEntry[];
  links: LinkFacts[];
  nowMs: number;
}

/** Something cleanup will remove. */
export type CleanupItem =
  | { kind: 'process'; pid: number; labId: string; apiSock: string; argv: string[]; ageMs: number | null }
  /** alias null: a link without owner record that microvm-netd lists for the lab (released only through it). */
  | { kind: 'link'; netns: string | null; name: string; linkKind: string; labId: string; alias: string | null }
  | { kind: 'lab-dir'; path: string; labId: string; sockets: string[]; ageMs: number };

/** Something cleanup looked at and left alone, with the reason. */
export interface KeptItem {
  what: string;
  why: string;
}

/** The plan: what to remove (processes, then links, then directories) and what was kept. */
export interface CleanupPlan {
  olderThanMs: number;
  remove: CleanupItem[];
  kept: KeptItem[];
}

/** Returns the `--api-sock` value of an argument vector (`--api-sock X` or `--api-sock=X`), or null. */
export function apiSockOf(argv: readonly string[]): string | null {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--api-sock') return argv[i + 1] ?? null;
    if (arg.startsWith('--api-sock=')) return arg.slice('--api-sock='.length);
  }
  return null;
}

/** Returns the lab id when `socket` is a file directly inside a lab dir of one of `stateDirs`. */
export function labOfSocket(socket: string, stateDirs: readonly string[]): string | null {
  if (!path.isAbsolute(socket)) return null; // relative to an unknown cwd: no proof
  const dir = path.dirname(path.normalize(socket));
  if (!stateDirs.includes(path.dirname(dir))) return null;
  return labIdOfDirName(path.basename(dir));
}

/** Decides what to remove. Pure: the same inventory always gives the same plan. */
export function planCleanup(inventory: CleanupInventory, olderThanMs = 0): CleanupPlan {
  const remove: CleanupItem[] = [];
  const kept: KeptItem[] = [];
  const youngLabs = new Set<string>();
  const oldEnough = (ageMs: number | null) => olderThanMs === 0 || (ageMs !== null && ageMs >= olderThanMs);
  const labProcesses = new Map<number, string>();

  for (const proc of inventory.processes) {
    const apiSock = apiSockOf(proc.argv);
    const labId = apiSock === null ? null : labOfSocket(apiSock, inventory.stateDirs);
    if (apiSock === null || labId === null) continue;
    labProcesses.set(proc.pid, labId);
    const ageMs = proc.startedAtMs === null ? null : inventory.nowMs - proc.startedAtMs;
    if (oldEnough(ageMs)) {
      remove.push({ kind: 'process', pid: proc.pid, labId, apiSock, argv: proc.argv, ageMs });
    } else {
      youngLabs.add(labId);
      kept.push({ what: `process ${proc.pid} (lab ${labId})`, why: ageMs === null ? 'its start time is unknown' : `started ${renderAge(ageMs)} ago, within --older-than ${renderAge(olderThanMs)}` });
    }
  }

  for (const dir of inventory.labDirs) {
    if (dir.pidFileIgnored !== null) kept.push({ what: path.join(dir.path, 'firecracker.pid'), why: dir.pidFileIgnored });
    if (dir.pidFromFile !== null && !labProcesses.has(dir.pidFromFile) && inventory.processes.some((p) => p.pid === dir.pidFromFile)) {
      kept.push({ what: `pid ${dir.pidFromFile} from ${path.join(dir.path, 'firecracker.pid')}`, why: 'that pid runs something without this lab\'s --api-sock (a reused pid): not signalled' });
    }
    const ageMs = inventory.nowMs - dir.lastActivityMs;
    if (dir.kind !== 'directory') kept.push({ what: dir.path, why: `is a ${dir.kind}, not a directory: not followed` });
    else if (youngLabs.has(dir.labId)) kept.push({ what: dir.path, why: 'its firecracker process is being kept' });
    else if (!oldEnough(ageMs)) {
      youngLabs.add(dir.labId);
      kept.push({ what: dir.path, why: `active ${renderAge(ageMs)} ago, within --older-than ${renderAge(olderThanMs)}` });
    } else remove.push({ kind: 'lab-dir', path: dir.path, labId: dir.labId, sockets: dir.sockets, ageMs });
  }

  for (const { netns, link } of inventory.links) {
    const where = `${link.name}${netns ? ` (netns ${netns})` : ''}`;
    const labId = parseOwnerAlias(link.alias);
    if (labId === null) {
      kept.push({ what: `link ${where}`, why: link.alias ? `its alias ${JSON.stringify(link.alias)} is not a lab owner record` : 'it has no owner alias (not created by netd for a lab)' });
      continue;
    }
    const names = labLinkNames(labId);
    if (link.name !== names.bridge && link.name !== names.tap) kept.push({ what: `link ${where}`, why: `its alias names lab ${labId}, whose links are ${names.bridge}/${names.tap}` });
    else if (youngLabs.has(labId)) kept.push({ what: `link ${where}`, why: `lab ${labId} is within --older-than` });
    else remove.push({ kind: 'link', netns, name: link.name, linkKind: link.kind, labId, alias: link.alias! });
  }

  const order = { process: 0, link: 1, 'lab-dir': 2 } as const;
  remove.sort((a, b) => order[a.kind] - order[b.kind]);
  return { olderThanMs, remove, kept };
}
