import path from 'node:path';
import { describeError } from '../errors.ts';
import type { Links } from '../netd/links.ts';
import type { CleanupItem, CleanupPlan } from './cleanup-plan.ts';
import type { InstallFs, ProcessTable } from './ports.ts';

/** What executing a plan needs. */
export interface CleanupRunDeps {
  fs: InstallFs;
  processes: ProcessTable;
  linksIn(netns: string | null): Links;
  sleep(ms: number): Promise<void>;
  /** How long a process gets after SIGTERM before SIGKILL (default 5 s). */
  termGraceMs?: number;
}

/** What happened to one item. */
export interface CleanupOutcome {
  item: CleanupItem;
  status: 'removed' | 'gone' | 'skipped' | 'failed';
  detail: string;
}

/** The outcome of a cleanup run; ok when nothing failed. */
export interface CleanupResult {
  ok: boolean;
  outcomes: CleanupOutcome[];
}

const POLL_MS = 100;

/**
 * Removes what the plan chose: processes first (SIGTERM, then SIGKILL after the grace time), then
 * links, then lab directories. Each item is re-checked just before it is touched (a pid must still
 * run the same argv; a link must still carry the same alias; a directory must still be a real
 * directory directly inside the state dir), so nothing that changed since the scan is harmed.
 * One failure does not stop the rest.
 */
export async function executeCleanup(plan: CleanupPlan, stateDirs: readonly string[], deps: CleanupRunDeps): Promise<CleanupResult> {
  const outcomes: CleanupOutcome[] = [];
  const aliases = new Map<string, Map<string, string | null>>();
  for (const item of plan.remove) {
    try {
      if (item.kind === 'process') outcomes.push(await stopProcess(item, deps));
      else if (item.kind === 'link') outcomes.push(await deleteLink(item, deps, aliases));
      else outcomes.push(await removeLabDir(item, stateDirs, deps.fs));
    } catch (error) {
      outcomes.push({ item, status: 'failed', detail: describeError(error) });
    }
  }
  return { ok: outcomes.every((o) => o.status !== 'failed'), outcomes };
}

async function stopProcess(item: Extract<CleanupItem, { kind: 'process' }>, deps: CleanupRunDeps): Promise<CleanupOutcome> {
  const sameProcess = async () => {
    const now = await deps.processes.read(item.pid);
    return now === null ? null : now.argv.length === item.argv.length && now.argv.every((arg, i) => arg === item.argv[i]);
  };
  const first = await sameProcess();
  if (first === null) return { item, status: 'gone', detail: `process ${item.pid} had already exited` };
  if (!first) return { item, status: 'skipped', detail: `pid ${item.pid} now runs something else: not signalled` };
  for (const [signal, waitMs] of [['SIGTERM', deps.termGraceMs ?? 5000], ['SIGKILL', 5000]] as const) {
    if (!(await deps.processes.signal(item.pid, signal))) return { item, status: 'removed', detail: `stopped process ${item.pid}` };
    for (let waited = 0; waited < waitMs; waited += POLL_MS) {
      if ((await deps.processes.read(item.pid)) === null) return { item, status: 'removed', detail: `stopped process ${item.pid} (${signal})` };
      await deps.sleep(POLL_MS);
    }
  }
  return { item, status: 'failed', detail: `process ${item.pid} is still running after SIGKILL` };
}

async function deleteLink(item: Extract<CleanupItem, { kind: 'link' }>, deps: CleanupRunDeps, aliases: Map<string, Map<string, string | null>>): Promise<CleanupOutcome> {
  const key = item.netns ?? '';
  const links = deps.linksIn(item.netns);
  if (!aliases.has(key)) aliases.set(key, new Map((await links.listLabLinks()).map((l) => [l.name, l.alias])));
  const current = aliases.get(key)!;
  if (!current.has(item.name)) return { item, status: 'gone', detail: `link ${item.name} no longer exists` };
  if (current.get(item.name) !== item.alias) return { item, status: 'skipped', detail: `link ${item.name} now carries another alias: not deleted` };
  const result = await links.apply([{ op: 'delete', name: item.name }]);
  if (result.ok) return { item, status: 'removed', detail: `deleted link ${item.name}${item.netns ? ` in netns ${item.netns}` : ''}` };
  if (result.failure.errno === 'ENODEV') return { item, status: 'gone', detail: `link ${item.name} was already gone` };
  return { item, status: 'failed', detail: `deleting link ${item.name} failed: ${result.failure.message}` };
}

async function removeLabDir(item: Extract<CleanupItem, { kind: 'lab-dir' }>, stateDirs: readonly string[], fs: InstallFs): Promise<CleanupOutcome> {
  const info = await fs.lstat(item.path);
  if (info === null) return { item, status: 'gone', detail: `${item.path} no longer exists` };
  if (info.kind !== 'directory') return { item, status: 'skipped', detail: `${item.path} is now a ${info.kind}: not removed` };
  const parent = await fs.realpath(path.dirname(item.path));
  if (!stateDirs.includes(parent)) return { item, status: 'skipped', detail: `${item.path} is no longer inside the state dir (${parent}): not removed` };
  await fs.removeTree(item.path);
  return { item, status: 'removed', detail: `removed ${item.path}${item.sockets.length > 0 ? ` (with ${item.sockets.length} socket(s))` : ''}` };
}
