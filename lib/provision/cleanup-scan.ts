import path from 'node:path';
import { HostError, describeError, errnoOf } from '../errors.ts';
import { LAB_FILES, labIdOfDirName } from '../firecracker/lab-layout.ts';
import type { HostFs } from '../host/types.ts';
import { LinkQueryError, type Links } from '../netd/links.ts';
import type { CleanupInventory, LabDirFacts, LinkFacts } from './cleanup-plan.ts';
import { CleanupError } from './errors.ts';
import type { InstallFs, ProcessTable } from './ports.ts';

/** What the scan reads: files, processes, and the links of each namespace. */
export interface CleanupScanDeps {
  fs: InstallFs;
  processes: ProcessTable;
  /** The links of a namespace (null: the namespace cleanup runs in). */
  linksIn(netns: string | null): Links;
  now(): number;
  /**
   * Reads files inside the state dir, which its unprivileged owner controls, so never through
   * `fs.readText` (it follows links and waits on FIFOs): the host's readRegularFile.
   */
  files: Pick<HostFs, 'readRegularFile'>;
}

/** A pid is at most 10 digits; a firecracker.pid longer than this is not one. */
export const PID_FILE_MAX_BYTES = 32;

/**
 * Collects the inventory cleanup plans from: the lab_<uuid> entries of the state dir (with their
 * newest mtime, sockets and pidfile), every process, and the obr/otp links of each namespace.
 */
export async function scanForResidue(stateDir: string, namespaces: ReadonlyArray<string | null>, deps: CleanupScanDeps): Promise<CleanupInventory> {
  const resolved = path.resolve(stateDir);
  const real = await deps.fs.realpath(resolved).catch(() => resolved);
  const entries = (await deps.fs.listDir(resolved)) ?? [];
  const labDirs: LabDirFacts[] = [];
  for (const entry of entries) {
    const labId = labIdOfDirName(entry.name);
    if (labId === null) continue;
    const facts: LabDirFacts = { labId, path: entry.path, kind: entry.kind, lastActivityMs: entry.mtimeMs, sockets: [], pidFromFile: null, pidFileIgnored: null };
    if (entry.kind === 'directory') {
      for (const inner of (await deps.fs.listDir(entry.path)) ?? []) {
        facts.lastActivityMs = Math.max(facts.lastActivityMs, inner.mtimeMs);
        if (inner.kind === 'socket') facts.sockets.push(inner.path);
      }
      Object.assign(facts, await readPidFile(path.join(entry.path, LAB_FILES.pidFile), deps.files));
    }
    labDirs.push(facts);
  }
  const links: LinkFacts[] = [];
  for (const netns of namespaces) {
    try {
      for (const link of await deps.linksIn(netns).listLabLinks()) links.push({ netns, link });
    } catch (error) {
      if (!(error instanceof LinkQueryError)) throw error;
      throw new CleanupError({
        code: 'CLEANUP_LINKS_UNREADABLE',
        summary: `cannot list the links${netns ? ` of network namespace ${netns}` : ''}: ${error.message}`,
        reason: error.errno,
        hint: netns ? `Check that the namespace exists (ip netns list).` : 'Run cleanup as root with iproute2 installed.',
      });
    }
  }
  return { stateDirs: [...new Set([resolved, real])], labDirs, processes: await deps.processes.list(), links, nowMs: deps.now() };
}

/**
 * Returns the pid in a lab's firecracker.pid, or why none was taken from it. Only a regular file
 * of at most PID_FILE_MAX_BYTES is read: a FIFO, a symlink (to /dev/zero, say) or a device is
 * named, never opened for reading or followed.
 */
async function readPidFile(file: string, files: Pick<HostFs, 'readRegularFile'>): Promise<Pick<LabDirFacts, 'pidFromFile' | 'pidFileIgnored'>> {
  const ignored = (why: string) => ({ pidFromFile: null, pidFileIgnored: why });
  let read;
  try {
    read = await files.readRegularFile(file, PID_FILE_MAX_BYTES);
  } catch (error) {
    const errno = error instanceof HostError ? error.errno : errnoOf(error);
    if (errno === 'ENOENT') return { pidFromFile: null, pidFileIgnored: null };
    return ignored(`could not be read (${errno ?? describeError(error)}): no pid taken from it`);
  }
  if (!read.ok) return ignored(`is a ${read.kind}, not a regular file: ${read.kind === 'symlink' ? 'not followed' : 'not read'}, no pid taken from it`);
  if (read.truncated) return ignored(`holds more than ${PID_FILE_MAX_BYTES} bytes, so not a pid: no pid taken from it`);
  const text = read.data.toString('utf8');
  if (!/^\s*\d+\s*$/.test(text)) return ignored(`holds ${JSON.stringify(text)}, not a pid: no pid taken from it`);
  return { pidFromFile: Number(text.trim()), pidFileIgnored: null };
}
