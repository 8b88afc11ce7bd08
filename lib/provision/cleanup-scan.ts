import path from 'node:path';
import { LAB_FILES, labIdOfDirName } from '../firecracker/lab-layout.ts';
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
}

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
    const facts: LabDirFacts = { labId, path: entry.path, kind: entry.kind, lastActivityMs: entry.mtimeMs, sockets: [], pidFromFile: null };
    if (entry.kind === 'directory') {
      for (const inner of (await deps.fs.listDir(entry.path)) ?? []) {
        facts.lastActivityMs = Math.max(facts.lastActivityMs, inner.mtimeMs);
        if (inner.kind === 'socket') facts.sockets.push(inner.path);
      }
      const pidText = await deps.fs.readText(path.join(entry.path, LAB_FILES.pidFile)).catch(() => null);
      if (pidText !== null && /^\s*\d+\s*$/.test(pidText)) facts.pidFromFile = Number(pidText.trim());
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
