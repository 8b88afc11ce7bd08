import { afterAll, beforeAll, bench, describe } from 'vitest';
import { bootMicroVm } from '../../../lib/firecracker/boot-pipeline.ts';
import { createBootSandbox, fakeInputs, type BootSandbox } from './boot-harness.ts';
import { BASELINE_INTERVALS, pollingBoot } from './polling-baseline.ts';

/**
 * Boots against FakeFirecracker with a known built-in delay D (at start-up before the socket,
 * between InstanceStart and init's line, and before exit). Compares the event-driven pipeline with
 * a shell-style polling baseline side by side (vitest prints the ratio), and prints the pipeline's
 * own overhead per stage: the stage's median time, minus D where the fake waits D in that stage.
 * Run: npx vitest bench --run --project unit suites/unit/boot/boot.bench.ts
 */
const DELAY_MS = 100;
const DELAYED_STAGES = new Set(['api-socket', 'serial-marker', 'guest-exit']);
let sandbox: BootSandbox;
const stageSamples = new Map<string, number[]>();

beforeAll(async () => {
  sandbox = await createBootSandbox();
});

afterAll(async () => {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const rows = [...stageSamples].map(([stage, xs]) => {
    const m = median(xs);
    const overhead = DELAYED_STAGES.has(stage) ? m - DELAY_MS : m;
    return `  ${stage.padEnd(15)} median ${m.toFixed(1).padStart(7)} ms   own overhead ${overhead.toFixed(1).padStart(7)} ms${DELAYED_STAGES.has(stage) ? ` (minus D=${DELAY_MS})` : ''}`;
  });
  console.log(`pipeline stages over ${stageSamples.get('prepare')?.length ?? 0} boots (api-socket includes the fake's own Node start-up):\n${rows.join('\n')}`);
  console.log(`baseline polls: socket every ${BASELINE_INTERVALS.socketMs} ms, serial log every ${BASELINE_INTERVALS.markerMs} ms, exit every ${BASELINE_INTERVALS.exitMs} ms`);
  await sandbox?.cleanup();
});

describe(`hello boot against the fake (built-in delay ${DELAY_MS} ms)`, () => {
  bench(
    'staged pipeline (inotify + stream reads)',
    async () => {
      const result = await bootMicroVm({ inputs: fakeInputs(sandbox, ['--fake-delay-ms', String(DELAY_MS)]), budgetMs: 30_000 });
      if (!result.ok) throw new Error(result.error?.message);
      for (const stage of result.stages) stageSamples.set(stage.name, [...(stageSamples.get(stage.name) ?? []), stage.ms]);
    },
    { iterations: 8, warmupIterations: 1, time: 0, warmupTime: 0 },
  );

  bench(
    'polling baseline (sleep loops, as shell scripts wait)',
    async () => {
      await pollingBoot(fakeInputs(sandbox, ['--fake-delay-ms', String(DELAY_MS)]));
    },
    { iterations: 8, warmupIterations: 1, time: 0, warmupTime: 0 },
  );
});
