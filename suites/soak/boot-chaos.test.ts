import { describe, expect, it, type TestContext } from 'vitest';
import { requireRoot, requireTools } from '../support/require.ts';
import { useBootSandbox } from '../unit/boot/boot-harness.ts';
import { createNetns, deleteNetns, labLinksIn, netnsExists, startDaemon, type InProcessDaemon } from '../host/netd/support.ts';
import { describePlan, planRounds, playRound, type ChaosWorld, type RoundReport } from './chaos-round.ts';
import { seededRandom, soakSeed } from './seeded-random.ts';

/**
 * Boot teardown under chaos: the real launcher against the fake Firecracker in every failure mode,
 * ended at random moments (start-up included) by SIGTERM or SIGINT, or by SIGKILL followed by
 * `octolab-verify cleanup`; after every round a census of processes, lab dirs and sockets (and, with
 * a network, links) that the round could have left must come out empty. The seed (OCTOLAB_FUZZ_SEED)
 * plans every round up front; a failure names the seed and the round. OCTOLAB_SOAK_ROUNDS changes
 * the number of rounds (at least 100 by default).
 */

const SEED = soakSeed();
const ROUNDS = roundsFromEnv(process.env.OCTOLAB_SOAK_ROUNDS, 100);
const NET_ROUNDS = Math.max(10, Math.round(ROUNDS / 4));

const sandbox = useBootSandbox();

/** Plays `rounds` rounds in order; returns one line per failed round, each naming the seed and the round. */
async function soak(world: ChaosWorld, rounds: number, salt: number): Promise<string[]> {
  const plans = planRounds(seededRandom(SEED ^ salt), rounds);
  const failures: string[] = [];
  const started = performance.now();
  const tally = new Map<string, number>();
  for (const plan of plans) {
    let report: RoundReport;
    try {
      report = await playRound(plan, world);
    } catch (error) {
      failures.push(`seed ${SEED} ${describePlan(plan)}: ${(error as Error).message}`);
      continue;
    }
    const outcome = report.boot.signal ? `killed by ${report.boot.signal}` : `exit ${report.boot.code}`;
    tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    if (report.problems.length > 0) failures.push(`seed ${SEED} ${describePlan(plan)}:\n  ${report.problems.join('\n  ')}`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`boot chaos: ${rounds} rounds in ${seconds} s, seed ${SEED} (OCTOLAB_FUZZ_SEED=${SEED} replays them); boots ended: ${[...tally].map(([k, v]) => `${k} ×${v}`).join(', ')}`);
  return failures;
}

describe('boot teardown under chaos (the real launcher, the fake Firecracker)', () => {
  it(`leaves no process, lab dir or socket after any of ${ROUNDS} interrupted boots, or after SIGKILL and cleanup`, { tags: ['boot', 'slow'], timeout: 3_600_000 }, async (ctx) => {
    // As root, cleanup runs in a network namespace of its own: it must never release the machine's own lab links.
    const root = process.geteuid?.() === 0;
    if (root) requireTools(ctx, 'net', ['unshare']);
    const world: ChaosWorld = { sandbox: sandbox(), cleanupPrefix: root ? ['unshare', '--net', '--'] : [], markerPrefix: `soak-${SEED}` };
    expect(await soak(world, ROUNDS, 0)).toEqual([]);
  });

  it(`also leaves no lab link with \`boot --net\` through microvm-netd in a namespace of its own (${NET_ROUNDS} rounds)`, { tags: ['boot', 'slow', 'root', 'net'], timeout: 3_600_000 }, async (ctx) => {
    prerequisites(ctx);
    const netns = await createNetns();
    let daemon: InProcessDaemon | null = null;
    try {
      const socketPath = `${sandbox().root}/netd.sock`;
      daemon = await startDaemon({ netns, socketPath });
      const world: ChaosWorld = {
        sandbox: sandbox(),
        netd: { socketPath, netns },
        cleanupPrefix: ['unshare', '--net', '--'],
        markerPrefix: `soak-net-${SEED}`,
        extraCensus: async () => (await labLinksIn(netns)).map((link) => `lab link left in ${netns}: ${link}`),
      };
      expect(await soak(world, NET_ROUNDS, 0x6e6574)).toEqual([]);
    } finally {
      await daemon?.daemon.stop();
      await deleteNetns(netns);
    }
    expect(await netnsExists(netns)).toBe(false);
  });
});

function prerequisites(ctx: TestContext): void {
  requireRoot(ctx);
  requireTools(ctx, 'net', ['ip', 'unshare']);
}

function roundsFromEnv(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const rounds = Number(value);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`OCTOLAB_SOAK_ROUNDS=${JSON.stringify(value)} is not a whole number of rounds ≥ 1; unset it for ${fallback}.`);
  return rounds;
}
