import { describe, expect, it, vi } from 'vitest';
import { runSteps, StepInterrupted, StepSettled, StepTimeout, type Step, type StepEvent } from '../../../lib/firecracker/run-steps.ts';

type Log = string[];
const realClock = { now: () => performance.now() };

/** A step that logs its start and registers a cleanup that logs too. */
function step(name: string, work: (log: Log, signal: AbortSignal) => Promise<void> = async () => undefined, extra: Partial<Step<Log>> = {}): Step<Log> {
  return {
    name,
    title: `do ${name}`,
    async run({ state, signal, defer }) {
      state.push(`run ${name}`);
      defer(`undo ${name}`, async () => void state.push(`undo ${name}`), { keepable: name.startsWith('keep') });
      await work(state, signal);
    },
    ...extra,
  };
}

const never = (signal: AbortSignal) => new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

describe('runSteps', () => {
  it('runs the steps in order, then the cleanups in reverse, and times every stage', async () => {
    const log: Log = [];
    const events: StepEvent[] = [];
    const outcome = await runSteps([step('a'), step('b'), step('c')], log, { budgetMs: 5000, clock: realClock, onEvent: (e) => events.push(e) });
    expect(log).toEqual(['run a', 'run b', 'run c', 'undo c', 'undo b', 'undo a']);
    expect(outcome.failure).toBeNull();
    expect(outcome.stages.map((s) => [s.name, s.status])).toEqual([
      ['a', 'passed'],
      ['b', 'passed'],
      ['c', 'passed'],
    ]);
    expect(events.filter((e) => e.type === 'step-end')).toHaveLength(3);
  });

  it('stops at a failing step, reports it by name, marks the rest not-run, and still tears down', async () => {
    const log: Log = [];
    const outcome = await runSteps([step('a'), step('b', async () => Promise.reject(new Error('boom'))), step('c')], log, { budgetMs: 5000, clock: realClock });
    expect(outcome.failure).toMatchObject({ stage: 'b', kind: 'failed', error: new Error('boom') });
    expect(outcome.stages.map((s) => s.status)).toEqual(['passed', 'failed', 'not-run']);
    expect(log).toEqual(['run a', 'run b', 'undo b', 'undo a']);
  });

  it('times out a step at its own limit and aborts its signal', async () => {
    const log: Log = [];
    let seen: unknown;
    const outcome = await runSteps(
      [step('slow', async (_l, signal) => never(signal).catch((e) => Promise.reject((seen = e))), { timeoutMs: 50 })],
      log,
      { budgetMs: 5000, clock: realClock },
    );
    expect(outcome.failure).toMatchObject({ stage: 'slow', kind: 'timeout', limitMs: 50 });
    expect(seen).toBeInstanceOf(StepTimeout);
    expect((seen as StepTimeout).budget).toBe(false);
    expect(log).toEqual(['run slow', 'undo slow']);
  });

  it('caps every step by what is left of the total budget', async () => {
    const outcome = await runSteps([step('a', async (_l, signal) => never(signal), { timeoutMs: 60_000 })], [], { budgetMs: 80, clock: realClock });
    expect(outcome.failure).toMatchObject({ stage: 'a', kind: 'timeout' });
    expect((outcome.failure!.error as StepTimeout).budget).toBe(true);
  });

  it('stops waiting for a step that ignores its signal, reports it, and has no unhandled rejection later', async () => {
    let release!: (e: Error) => void;
    const stubborn = new Promise<void>((_, reject) => (release = reject));
    const outcome = await runSteps([step('deaf', async () => stubborn, { timeoutMs: 30 })], [], { budgetMs: 5000, clock: realClock, settleTimeoutMs: 20 });
    expect(outcome.failure?.kind).toBe('timeout');
    expect(outcome.cleanupFailures.map((c) => [c.name, (c.error as Error).message])).toEqual([
      ['stop the "deaf" stage', expect.stringMatching(/^it did not stop within 20 ms of being told to; what it creates from now on is removed as soon as it registers it/)],
    ]);
    release(new Error('late'));
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('runs at once a cleanup that a straggling step registers after teardown', async () => {
    const log: Log = [];
    let finish!: () => void;
    const late = new Promise<void>((resolve) => (finish = resolve));
    const straggler: Step<Log> = {
      name: 'late',
      title: 'late',
      async run({ defer }) {
        await late; // ignores its signal
        log.push('made something');
        defer('undo the late thing', async () => void log.push('undid the late thing'));
      },
    };
    const aborted = new AbortController();
    const running = runSteps([straggler], log, { budgetMs: 5000, clock: realClock, signal: aborted.signal, settleTimeoutMs: 20 });
    await new Promise((resolve) => setImmediate(resolve));
    aborted.abort(new Error('received SIGTERM'));
    expect((await running).cleanupFailures.map((c) => c.name)).toEqual(['stop the "late" stage']);
    finish();
    await vi.waitFor(() => expect(log).toContain('undid the late thing'));
    expect(log).toEqual(['made something', 'undid the late thing']);
  });

  it('does not begin a step once the run is aborted, before the first or between two', async () => {
    const log: Log = [];
    const before = await runSteps([step('a'), step('b')], log, { budgetMs: 5000, clock: realClock, signal: AbortSignal.abort(new Error('received SIGTERM')) });
    expect(before.failure).toMatchObject({ stage: 'a', kind: 'interrupted', started: false });
    expect((before.failure!.error as StepInterrupted).message).toBe('received SIGTERM');
    expect(before.stages.map((s) => s.status)).toEqual(['not-run', 'not-run']);
    expect(log).toEqual([]);
    const controller = new AbortController();
    const between = await runSteps([step('a', async () => controller.abort(new Error('received SIGINT'))), step('b')], log, { budgetMs: 5000, clock: realClock, signal: controller.signal });
    // "a" finished its work (the abort came from inside it, after its creation): it passed, and is undone.
    expect(between.failure).toMatchObject({ stage: 'a', kind: 'interrupted', started: true });
    expect(log).toEqual(['run a', 'undo a']);
  });

  it('waits for an aborted step to stop, so the cleanup of its last creation is in place before teardown', async () => {
    const log: Log = [];
    const controller = new AbortController();
    const slowToStop: Step<Log> = {
      name: 'make',
      title: 'make',
      async run({ state, signal, defer }) {
        controller.abort(new Error('received SIGTERM'));
        // A creation already under way when the signal fired: it completes, registers, then the step stops.
        await new Promise((resolve) => setTimeout(resolve, 20));
        state.push('made');
        defer('unmake', async () => void state.push('unmade'));
        signal.throwIfAborted();
        state.push('went on');
      },
    };
    const outcome = await runSteps([slowToStop], log, { budgetMs: 5000, clock: realClock, signal: controller.signal });
    expect(outcome.failure).toMatchObject({ stage: 'make', kind: 'interrupted', started: true });
    expect(outcome.cleanupFailures).toEqual([]);
    expect(log).toEqual(['made', 'unmade']);
  });

  it('turns an abort of the run signal into an interrupted stage and tears down', async () => {
    const controller = new AbortController();
    const log: Log = [];
    const run = runSteps([step('a'), step('wait', async (_l, signal) => never(signal))], log, { budgetMs: 5000, clock: realClock, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('received SIGTERM')), 20);
    const outcome = await run;
    expect(outcome.failure).toMatchObject({ stage: 'wait', kind: 'interrupted' });
    expect((outcome.failure!.error as StepInterrupted).message).toBe('received SIGTERM');
    expect(log).toEqual(['run a', 'run wait', 'undo wait', 'undo a']);
  });

  it('tells work a step left behind to stop once the step settled', async () => {
    let leftover: AbortSignal | undefined;
    await runSteps([step('a', async (_l, signal) => void (leftover = signal))], [], { budgetMs: 5000, clock: realClock });
    expect(leftover?.aborted).toBe(true);
    expect(leftover?.reason).toBeInstanceOf(StepSettled);
  });

  it('collects cleanup errors, keeps going, and leaves the run’s own failure first', async () => {
    const log: Log = [];
    const failingCleanup: Step<Log> = {
      name: 'x',
      title: 'x',
      async run({ defer }) {
        defer('explode', async () => Promise.reject(new Error('cleanup broke')));
      },
    };
    const outcome = await runSteps([step('a'), failingCleanup, step('b', async () => Promise.reject(new Error('run broke')))], log, { budgetMs: 5000, clock: realClock });
    expect(outcome.failure).toMatchObject({ stage: 'b', error: new Error('run broke') });
    expect(outcome.cleanupFailures).toEqual([{ name: 'explode', error: new Error('cleanup broke') }]);
    expect(log).toEqual(['run a', 'run b', 'undo b', 'undo a']);
  });

  it('skips keepable cleanups after a successful kept run, but never after a failure', async () => {
    const kept: Log = [];
    const ok = await runSteps([step('keep-vm'), step('b')], kept, { budgetMs: 5000, clock: realClock, keep: true });
    expect(ok.kept).toEqual(['undo keep-vm']);
    expect(kept).toEqual(['run keep-vm', 'run b', 'undo b']);
    const failed: Log = [];
    await runSteps([step('keep-vm'), step('b', async () => Promise.reject(new Error('no')))], failed, { budgetMs: 5000, clock: realClock, keep: true });
    expect(failed).toEqual(['run keep-vm', 'run b', 'undo b', 'undo keep-vm']);
  });

  it('reads the failure before teardown through onFailure', async () => {
    const log: Log = [];
    await runSteps([step('a', async () => Promise.reject(new Error('x')))], log, { budgetMs: 5000, clock: realClock, onFailure: async (f) => void log.push(`saw ${f.stage}`) });
    expect(log).toEqual(['run a', 'saw a', 'undo a']);
  });

  it('bounds a cleanup that hangs', async () => {
    const hang: Step<Log> = { name: 'h', title: 'h', run: async ({ defer }) => defer('hang', () => new Promise(() => undefined)) };
    const outcome = await runSteps([hang], [], { budgetMs: 5000, clock: realClock, cleanupTimeoutMs: 30 });
    expect(outcome.cleanupFailures[0]?.name).toBe('hang');
  });

  it('measures stages with the injected clock', async () => {
    let now = 0;
    const clock = { now: () => (now += 5) };
    const outcome = await runSteps([step('a'), step('b')], [], { budgetMs: 5000, clock });
    expect(outcome.stages.map((s) => s.ms)).toEqual([5, 5]);
  });

  it('places each stage on the run\'s timeline: its start after the run\'s start, null for a stage that did not run', async () => {
    let now = 100;
    const clock = { now: () => (now += 5) };
    const outcome = await runSteps([step('a'), step('b', async () => Promise.reject(new Error('boom'))), step('c')], [], { budgetMs: 5000, clock });
    // Each step reads the clock for its budget, its start and its end: a starts 10 ms in, b 25 ms in.
    expect(outcome.stages.map((s) => [s.name, s.startMs, s.ms])).toEqual([
      ['a', 10, 5],
      ['b', 25, 5],
      ['c', null, 0],
    ]);
  });
});
