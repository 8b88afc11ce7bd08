/**
 * What a boot left behind in a sandbox it was given: live processes that carry the round's marker
 * in their environment (the launcher passes its environment on to firecracker, and tsx's esbuild
 * service inherits it too) or name the sandbox's state dir on their command line, lab
 * directories, and unix sockets. Only things the test itself could have created are counted, so
 * other work on the machine never fails a census.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { processesWith } from '../unit/boot/boot-harness.ts';

/** What to look at: the sandbox root (sockets), its state dir (labs), and the round's environment marker. */
export interface CensusScope {
  root: string;
  stateDir: string;
  /** `NAME=value` set in the launcher's environment for this round only. */
  marker?: string;
  /** How long processes may take to finish exiting (a child's esbuild service ends after its parent); default 10 s. */
  settleMs?: number;
  /** Sockets the test owns on purpose (e.g. a netd stand-in's), never counted. */
  ownSockets?: readonly string[];
}

/** Everything found; `problems` is empty when nothing was left. */
export interface Census {
  processes: number[];
  labDirs: string[];
  sockets: string[];
  problems: string[];
}

/** Takes the census of `scope`. */
export async function takeCensus(scope: CensusScope): Promise<Census> {
  const find = async () => [...new Set([...(await processesWith(scope.stateDir)), ...(scope.marker ? await processesWithEnv(scope.marker) : [])])].sort((a, b) => a - b);
  const processes = await settled(find, scope.settleMs ?? 10_000);
  const labDirs = (await fs.readdir(scope.stateDir).catch(() => [] as string[])).sort();
  const own = new Set(scope.ownSockets ?? []);
  const sockets = (await socketsUnder(scope.root)).filter((s) => !own.has(s));
  const problems = [
    ...(processes.length > 0 ? [`processes of this round still run: ${await describePids(processes)}`] : []),
    ...labDirs.map((name) => `state dir still holds ${name}`),
    ...sockets.map((s) => `unix socket left: ${s}`),
  ];
  return { processes, labDirs, sockets, problems };
}

/** Every unix socket below `dir` (symlinks are not followed). */
export async function socketsUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return found; // removed while we looked, or never there
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isSocket()) found.push(full);
    else if (entry.isDirectory()) found.push(...(await socketsUnder(full)));
  }
  return found.sort();
}

/** Live (not zombie) processes whose environment holds exactly `entry` (`NAME=value`). */
export async function processesWithEnv(entry: string): Promise<number[]> {
  const found: number[] = [];
  const needle = Buffer.from(`${entry}\0`);
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = await fs.readFile(`/proc/${name}/environ`);
      const at = environ.indexOf(needle);
      if (at === -1 || (at > 0 && environ[at - 1] !== 0)) continue;
      if (!/\) Z /.test(await fs.readFile(`/proc/${name}/stat`, 'utf8'))) found.push(Number(name));
    } catch {
      // Ended while we looked, or not ours to read.
    }
  }
  return found;
}

/** Calls `find` until it returns nothing or `ms` have passed (backing off from 10 to 200 ms); returns the last answer. */
async function settled(find: () => Promise<number[]>, ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
    const found = await find();
    if (found.length === 0 || Date.now() >= until) return found;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

async function describePids(pids: readonly number[]): Promise<string> {
  const parts = await Promise.all(
    pids.map(async (pid) => {
      const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      return `${pid} (${cmdline.split('\0').filter(Boolean).join(' ').slice(0, 160) || 'gone'})`;
    }),
  );
  return parts.join(', ');
}
