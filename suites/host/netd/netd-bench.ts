/**
 * Benchmark: microvm-netd alloc+release latency (p50/p99) and throughput inside a throwaway
 * network namespace, for the daemon as shipped (one `ip -batch` process per request) against a
 * baseline: by default one that spawns one `ip` process per link operation; with --against DIR,
 * the daemon of another checkout of this project (e.g. `git archive <commit> | tar -x -C DIR`,
 * with node_modules linked), batched too. The two run side by side, in alternating rounds, on
 * the same machine; the output is the ratio baseline / this tree.
 *
 *   node --import tsx suites/host/netd/netd-bench.ts [--pairs 200] [--concurrency 16] [--rounds 3] [--against DIR]
 *
 * Needs root and iproute2; leaves no namespace, link, socket or directory behind.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { dir } from 'tmp-promise';
import { createNetdClient } from '../../../lib/netd/client.ts';
import { createNetns, deleteNetns, labIdFor, labLinksIn, startDaemon, type InProcessDaemon } from './support.ts';

const { values } = parseArgs({
  options: { pairs: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '16' }, rounds: { type: 'string', default: '3' }, against: { type: 'string' } },
});
const PAIRS = Number(values.pairs);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

/** Results of one mode, accumulated over the rounds. */
interface Samples {
  latencies: number[];
  allocs: number[];
  releases: number[];
  pairs: number;
  seconds: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * Starts the daemon of another checkout (its own startNetdDaemon, iproute2 links and serve host)
 * in `netns`, with the options every version takes; this tree's client talks to it.
 */
async function startDaemonOf(tree: string, netns: string, socketPath: string): Promise<InProcessDaemon> {
  const load = (file: string) => import(pathToFileURL(path.join(tree, file)).href);
  const [{ startNetdDaemon }, { createIpLinks }, { createNetdServeHost }, { createRealHost }] = await Promise.all([
    load('lib/netd/daemon.ts'),
    load('lib/host/ip-links.ts'),
    load('lib/host/netd-serve-host.ts'),
    load('lib/host/real-host.ts'),
  ]);
  const host = createRealHost();
  const log: string[] = [];
  const daemon = await startNetdDaemon({
    host: createNetdServeHost({ users: host.users, sockets: host.sockets }),
    links: createIpLinks({ proc: host.proc, netns }),
    socketPath,
    group: 'root',
    tapOwner: null,
    log: (line: string) => log.push(line),
  });
  return { daemon, log, client: createNetdClient({ sockets: createRealHost().sockets, socketPath, timeoutMs: 30_000 }) };
}

/** Sequential alloc+release pairs on one lab: per-pair latency in milliseconds. */
async function measureLatency(running: InProcessDaemon, salt: number, into: Samples): Promise<void> {
  const lab = labIdFor(1, salt);
  for (let i = 0; i < PAIRS / 4; i++) {
    const started = performance.now();
    await running.client.alloc(lab);
    const allocated = performance.now();
    await running.client.release(lab);
    const released = performance.now();
    into.allocs.push(allocated - started);
    into.releases.push(released - allocated);
    into.latencies.push(released - started);
  }
}

/** `CONCURRENCY` workers, each alloc+release on its own lab, `PAIRS` pairs in all. */
async function measureThroughput(running: InProcessDaemon, salt: number, into: Samples): Promise<void> {
  let left = PAIRS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      const lab = labIdFor(100 + worker, salt);
      while (left > 0) {
        left--;
        await running.client.alloc(lab);
        await running.client.release(lab);
      }
    }),
  );
  into.seconds += (performance.now() - started) / 1000;
  into.pairs += PAIRS;
}

async function main(): Promise<void> {
  if (process.geteuid?.() !== 0) throw new Error('the netd benchmark needs root (it creates a network namespace, bridges and TAPs)');
  const netns = await createNetns();
  const tmp = await dir({ unsafeCleanup: true });
  const empty = (): Samples => ({ latencies: [], allocs: [], releases: [], pairs: 0, seconds: 0 });
  const against = values.against ? path.resolve(values.against) : null;
  const modes = [
    { name: against ? 'this tree' : 'batched (ip -batch per request)', batch: true, salt: 1, samples: empty() },
    { name: against ? `baseline (${path.basename(against)})` : 'baseline (ip per operation)', batch: false, salt: 2, samples: empty() },
  ];
  const daemons: InProcessDaemon[] = [];
  try {
    for (const mode of modes) {
      const socketPath = path.join(tmp.path, `run-${mode.salt}`, 'netd.sock');
      daemons.push(against && mode.salt === 2 ? await startDaemonOf(against, netns, socketPath) : await startDaemon({ netns, socketPath, batch: mode.batch }));
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [index, mode] of modes.entries()) {
        await measureLatency(daemons[index]!, mode.salt, mode.samples);
        await measureThroughput(daemons[index]!, mode.salt, mode.samples);
      }
    }
    const rows = modes.map((mode) => {
      const sorted = [...mode.samples.latencies].sort((a, b) => a - b);
      const allocs = [...mode.samples.allocs].sort((a, b) => a - b);
      const releases = [...mode.samples.releases].sort((a, b) => a - b);
      return {
        mode: mode.name,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        alloc50: percentile(allocs, 50),
        release50: percentile(releases, 50),
        throughput: mode.samples.pairs / mode.samples.seconds,
        n: sorted.length,
      };
    });
    console.log(`netd alloc+release, ${ROUNDS} rounds, ${PAIRS / 4} sequential + ${PAIRS} concurrent (x${CONCURRENCY}) pairs per round, node ${process.version}`);
    for (const row of rows) {
      console.log(
        `${row.mode.padEnd(34)} pair p50 ${row.p50.toFixed(1).padStart(6)} ms  p99 ${row.p99.toFixed(1).padStart(6)} ms  ` +
          `(alloc p50 ${row.alloc50.toFixed(1)} ms, release p50 ${row.release50.toFixed(1)} ms)  throughput ${row.throughput.toFixed(1).padStart(6)} pairs/s  (n=${row.n})`,
      );
    }
    const [fast, slow] = rows as [(typeof rows)[0], (typeof rows)[0]];
    console.log(
      `ratio baseline/${against ? 'this tree' : 'batched'}: pair p50 ${(slow.p50 / fast.p50).toFixed(2)}x, p99 ${(slow.p99 / fast.p99).toFixed(2)}x, ` +
        `alloc p50 ${(slow.alloc50 / fast.alloc50).toFixed(2)}x, release p50 ${(slow.release50 / fast.release50).toFixed(2)}x, throughput ${(fast.throughput / slow.throughput).toFixed(2)}x`,
    );
  } finally {
    for (const running of daemons) await running.daemon.stop();
    const left = await labLinksIn(netns).catch(() => []);
    await deleteNetns(netns);
    await tmp.cleanup();
    if (left.length > 0) console.error(`warning: links left in ${netns} before deletion: ${left.join(' ')}`);
  }
}

await main();
