/**
 * One round of the boot chaos soak: `octolab-verify boot` (the real launcher) against the fake
 * Firecracker in one failure mode, interrupted at one moment by SIGTERM or SIGINT (it must tear
 * down by itself) or by SIGKILL (then `octolab-verify cleanup` must remove what it left), followed by
 * a census of everything the round could have left. Rounds are planned from a seed up front, so a
 * seed replays the same modes, signals and moments.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FAKE_MODES } from '../../fixtures/fake-firecracker/index.ts';
import { fakeBootEnv, type BootSandbox } from '../unit/boot/boot-harness.ts';
import { takeCensus } from './census.ts';
import { endWithin, hasStackTrace, startCli, type CliExit } from './cli-run.ts';
import type { SeededRandom } from './seeded-random.ts';

/** The fake's behaviours a round picks from: the happy path and every failure mode. */
export const CHAOS_MODES = ['', ...Object.keys(FAKE_MODES)] as const;
/** How a round ends the launcher. */
export type ChaosAction = 'SIGTERM' | 'SIGINT' | 'SIGKILL';

/** One planned round. */
export interface RoundPlan {
  round: number;
  mode: string;
  /** FAKE_FIRECRACKER_DELAY_MS: stretches start-up, the guest's output and its exit. */
  fakeDelayMs: number;
  action: ChaosAction;
  /** When the signal is sent, after the launcher was started. */
  atMs: number;
}

/** Plans `count` rounds: a third of the signals land in start-up (first 800 ms), the rest anywhere in the first 4 s. */
export function planRounds(random: SeededRandom, count: number): RoundPlan[] {
  return Array.from({ length: count }, (_, i) => {
    const early = random.next() < 1 / 3;
    return {
      round: i + 1,
      mode: random.pick(CHAOS_MODES),
      fakeDelayMs: random.pick([0, 0, 200, 700]),
      action: random.pick<ChaosAction>(['SIGTERM', 'SIGINT', 'SIGTERM', 'SIGINT', 'SIGKILL']),
      atMs: early ? random.int(0, 800) : random.int(0, 4000),
    };
  });
}

/** Renders a plan for messages: `round 7 (no-socket, delay 200 ms): SIGKILL at 412 ms`. */
export function describePlan(plan: RoundPlan): string {
  return `round ${plan.round} (${plan.mode || 'happy path'}, fake delay ${plan.fakeDelayMs} ms): ${plan.action} at ${plan.atMs} ms`;
}

/** Where rounds run: the sandbox, how to reach netd (a boot with --net), and extra census checks. */
export interface ChaosWorld {
  sandbox: BootSandbox;
  /** `boot --net` through this microvm-netd; without it, boots have no network and netd is never asked. */
  netd?: { socketPath: string; netns: string };
  /** A command prefix that runs cleanup in a private network namespace (as root, it must never see the machine's own lab links); [] when not needed. */
  cleanupPrefix: readonly string[];
  /** More leftovers to look for (e.g. lab links in the netd's namespace); [] when clean. */
  extraCensus?: () => Promise<string[]>;
  /** The marker prefix of this soak (the seed); the round number is appended. */
  markerPrefix: string;
}

/** What one round saw. */
export interface RoundReport {
  plan: RoundPlan;
  boot: CliExit;
  cleanup: CliExit | null;
  problems: string[];
}

const MARKER = 'SOAK_ROUND_MARKER';

/** Plays one round and takes its census; leftovers are removed afterwards so the next round starts clean. */
export async function playRound(plan: RoundPlan, world: ChaosWorld): Promise<RoundReport> {
  const { sandbox } = world;
  const marker = `${world.markerPrefix}-${plan.round}`;
  const env = fakeBootEnv(sandbox, {
    [MARKER]: marker,
    // Never the machine's own netd: the world's, or a path where nothing listens.
    OCTOLAB_MICROVM_NETD_SOCK: world.netd?.socketPath ?? path.join(sandbox.root, 'no-netd.sock'),
    FAKE_FIRECRACKER_MODE: plan.mode,
    FAKE_FIRECRACKER_DELAY_MS: String(plan.fakeDelayMs),
  });
  const problems: string[] = [];
  const run = startCli(['boot', '--timeout', '20', ...(world.netd ? ['--net'] : [])], env, sandbox.root);
  const ended = await Promise.race([run.done.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), plan.atMs))]);
  if (!ended) run.kill(plan.action);
  const boot = await endWithin(run, 90_000, 'boot');
  problems.push(...judgeBoot(plan, boot));

  let cleanup: CliExit | null = null;
  if (plan.action === 'SIGKILL') {
    const args = ['cleanup', '--state-dir', sandbox.stateDir, ...(world.netd ? ['--netns', world.netd.netns] : [])];
    const cleanupRun = startCli(args, env, sandbox.root, undefined, world.cleanupPrefix);
    cleanup = await endWithin(cleanupRun, 90_000, 'cleanup');
    if (cleanup.code !== 0) problems.push(`cleanup exited ${cleanup.code ?? cleanup.signal}: ${(cleanup.stdout + cleanup.stderr).trim()}`);
    if (hasStackTrace(cleanup.stderr)) problems.push(`cleanup printed a stack trace:\n${cleanup.stderr}`);
  }

  const census = await takeCensus({ root: sandbox.root, stateDir: sandbox.stateDir, marker: `${MARKER}=${marker}`, ownSockets: world.netd ? [world.netd.socketPath] : [] });
  problems.push(...census.problems, ...((await world.extraCensus?.()) ?? []));
  for (const pid of census.processes) killQuietly(pid);
  for (const name of census.labDirs) await fs.rm(path.join(sandbox.stateDir, name), { recursive: true, force: true });
  return { plan, boot, cleanup, problems };
}

/** What the boot's own end must look like for this action. */
function judgeBoot(plan: RoundPlan, boot: CliExit): string[] {
  const problems: string[] = [];
  const how = boot.signal ? `killed by ${boot.signal}` : `exit ${boot.code}`;
  // 0/1: the boot ended by itself before the signal; a graceful signal before the launcher's
  // handlers are installed (node start-up) ends it by the default action, before anything exists.
  const allowed = plan.action === 'SIGKILL' ? boot.signal === 'SIGKILL' || boot.code === 0 || boot.code === 1 : boot.signal === plan.action || [0, 1, 130].includes(boot.code ?? -1);
  if (!allowed) problems.push(`boot ended with ${how}\nstdout:\n${boot.stdout}\nstderr:\n${boot.stderr}`);
  if (boot.code === 130 && !/^octolab-verify boot: FAILED at stage "[a-z-]+"\n$/.test(boot.stderr)) problems.push(`boot exit 130 without its one-line verdict on stderr:\n${boot.stderr}`);
  if (hasStackTrace(boot.stderr)) problems.push(`boot printed a stack trace:\n${boot.stderr}`);
  return problems;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
