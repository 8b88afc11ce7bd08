import path from 'node:path';
import { describeError } from '../errors.ts';
import type { NetdClient } from '../netd/client.ts';
import type { Links } from '../netd/links.ts';
import { createNetdReleaser, linkPath, type LinkRoute } from './cleanup-netd.ts';
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
  /** microvm-netd and the labs to release through it (see chooseLinkRoute); absent: every link is deleted directly. */
  netd?: { route: LinkRoute; client: NetdClient } | null;
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
 * Links of the labs the route names are released through microvm-netd, which re-checks ownership
 * itself; when it does not act, they are deleted directly. One failure does not stop the rest.
 */
export async function executeCleanup(plan: CleanupPlan, stateDirs: readonly string[], deps: CleanupRunDeps): Promise<CleanupResult> {
  const outcomes: CleanupOutcome[] = [];
  const aliases = new Map<string, Map<string, string | null>>();
  const release = deps.netd ? createNetdReleaser(deps.netd.client) : null;
  for (const item of plan.remove) {
    try {
      if (item.kind === 'process') outcomes.push(await stopProcess(item, deps));
      else if (item.kind === 'link') outcomes.push(await removeLink(item, deps, aliases, release));
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

/** Releases a link's lab through microvm-netd when the route says so, and deletes it directly otherwise or when the daemon did not. */
async function removeLink(
  item: Extract<CleanupItem, { kind: 'link' }>,
  deps: CleanupRunDeps,
  aliases: Map<string, Map<string, string | null>>,
  release: ReturnType<typeof createNetdReleaser> | null,
): Promise<CleanupOutcome> {
  if (!release || linkPath(item, deps.netd?.route ?? null) !== 'netd') return deleteLink(item, deps, aliases);
  const answer = await release(item);
  if ('fallback' in answer) return deleteLink(item, deps, aliases, answer.fallback);
  if (answer.status === 'failed' || !(await deps.linksIn(item.netns).listLabLinks()).some((l) => l.name === item.name)) return answer;
  // The daemon answered for the lab, yet the link is still here: it serves another namespace.
  return deleteLink(item, deps, aliases, `microvm-netd released lab ${item.labId}, but ${item.name} is still here: the daemon serves another network namespace`);
}

/** Deletes a link with ip after re-checking its alias; `fallback` says why the daemon did not (it was asked first). */
async function deleteLink(item: Extract<CleanupItem, { kind: 'link' }>, deps: CleanupRunDeps, aliases: Map<string, Map<string, string | null>>, fallback?: string): Promise<CleanupOutcome> {
  const key = item.netns ?? '';
  const links = deps.linksIn(item.netns);
  const why = fallback ? ` (${fallback})` : '';
  if (item.alias === null) return { item, status: 'skipped', detail: `link ${item.name} has no owner record: only microvm-netd may release it, so it is left alone${why}` };
  // A daemon that acted may have changed the links: read them again after it.
  if (!aliases.has(key) || fallback) aliases.set(key, new Map((await links.listLabLinks()).map((l) => [l.name, l.alias])));
  const current = aliases.get(key)!;
  if (!current.has(item.name)) return { item, status: 'gone', detail: `link ${item.name} no longer exists${why}` };
  if (current.get(item.name) !== item.alias) return { item, status: 'skipped', detail: `link ${item.name} now carries another alias: not deleted${why}` };
  const result = await links.apply([{ op: 'delete', name: item.name }]);
  if (result.ok) return { item, status: 'removed', detail: `deleted link ${item.name}${item.netns ? ` in netns ${item.netns}` : ''} directly with ip${why}` };
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
