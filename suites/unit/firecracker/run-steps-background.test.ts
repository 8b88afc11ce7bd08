import { describe, expect, it } from 'vitest';
import { runSteps, StepInterrupted, StepStopped, StepTimeout, type Step } from '../../../lib/firecracker/run-steps.ts';

// Background steps: a step that runs alongside the steps after it (the boot's rootfs copy while
// firecracker starts), joined by a later step that needs it. Every step keeps its own limit and
// cleanups; whichever fails first is the run's failure and the others stop; an interruption is
// charged to the step the run is at.

type Log = string[];
const realClock = { now: () => performance.now() };

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Rejects with the signal's reason once it fires, after recording that reason in `reasons`. */
const untilAborted = (signal: AbortSignal, reasons: unknown[] = []) =>
  new Promise<void>((_, reject) => {
    const stop = () => reject(reasons[reasons.push(signal.reason) - 1]);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });

/** A step that logs its start and end, registers a cleanup that logs, and does `work` in between. */
function step(name: string, work: (signal: AbortSignal) => Promise<void> = async () => undefined, extra: Partial<Step<Log>> = {}): Step<Log> {
  return {
    name,
    title: `do ${name}`,
    async run({ state, signal, defer }) {
      state.push(`run ${name}`);
      defer(`undo ${name}`, async () => void state.push(`undo ${name}`));
      await work(signal);
      state.push(`end ${name}`);
    },
    ...extra,
  };
}

const statuses = (outcome: { stages: Array<{ name: string; status: string }> }) => Object.fromEntries(outcome.stages.map((s) => [s.name, s.status]));

describe('runSteps with a background step', () => {
  it('runs it alongside the steps after it, begins a step that needs it only once it ended, and times each stage on one timeline', async () => {
    const log: Log = [];
    const gate = deferred();
    const steps = [step('copy', () => gate.promise, { background: true }), step('a', async () => void gate.resolve()), step('b', undefined, { needs: ['copy'] })];
    const outcome = await runSteps(steps, log, { budgetMs: 5000, clock: realClock });
    expect(outcome.failure).toBeNull();
    // a ran while copy was under way; b began after both had ended.
    expect(log.slice(0, 2)).toEqual(['run copy', 'run a']);
    expect(log.slice(2, 4).sort()).toEqual(['end a', 'end copy']);
    expect(log[4]).toBe('run b');
    expect(statuses(outcome)).toEqual({ copy: 'passed', a: 'passed', b: 'passed' });
    const [copy, a, b] = outcome.stages;
    expect(copy!.startMs!).toBeLessThanOrEqual(a!.startMs!);
    expect(a!.startMs!).toBeLessThan(copy!.startMs! + copy!.ms);
    expect(b!.startMs!).toBeGreaterThanOrEqual(copy!.startMs! + copy!.ms);
    expect(log.slice(5)).toEqual(['end b', 'undo b', 'undo a', 'undo copy']);
  });

  it('waits for a background step that no step needs before the run ends, so nothing outlives the result', async () => {
    const log: Log = [];
    const outcome = await runSteps([step('bg', () => new Promise((resolve) => setTimeout(resolve, 30)), { background: true }), step('a')], log, { budgetMs: 5000, clock: realClock });
    expect(outcome.failure).toBeNull();
    expect(log).toEqual(['run bg', 'run a', 'end a', 'end bg', 'undo a', 'undo bg']);
  });

  it('makes a failing background step the run’s failure and stops the step in line beside it', async () => {
    const log: Log = [];
    const reasons: unknown[] = [];
    const started = deferred();
    const steps = [
      step('copy', async () => {
        await started.promise;
        throw new Error('ENOSPC');
      }, { background: true }),
      step('wait', (signal) => (started.resolve(), untilAborted(signal, reasons))),
      step('c'),
    ];
    const outcome = await runSteps(steps, log, { budgetMs: 5000, clock: realClock });
    expect(outcome.failure).toMatchObject({ stage: 'copy', kind: 'failed', error: new Error('ENOSPC'), started: true });
    expect(statuses(outcome)).toEqual({ copy: 'failed', wait: 'stopped', c: 'not-run' });
    expect(reasons).toEqual([new StepStopped('stage "copy" failed')]);
    expect(log).toEqual(['run copy', 'run wait', 'undo wait', 'undo copy']);
    expect(outcome.cleanupFailures).toEqual([]);
  });

  it('stops a background step when a step in line fails, and tears down only once it has stopped', async () => {
    const log: Log = [];
    const reasons: unknown[] = [];
    const slowToStop = step(
      'copy',
      async (signal) => {
        await untilAborted(signal, reasons).catch(() => undefined);
        // Still finishing something when told to stop: it completes and registers it, then stops.
        await new Promise((resolve) => setTimeout(resolve, 20));
        log.push('made late');
        throw signal.reason;
      },
      { background: true },
    );
    const outcome = await runSteps([slowToStop, step('a', async () => Promise.reject(new Error('boom')))], log, { budgetMs: 5000, clock: realClock });
    expect(outcome.failure).toMatchObject({ stage: 'a', kind: 'failed', error: new Error('boom') });
    expect(statuses(outcome)).toEqual({ copy: 'stopped', a: 'failed' });
    expect(reasons).toEqual([new StepStopped('stage "a" failed')]);
    // Teardown began after the copy had stopped: its late creation came before every undo.
    expect(log).toEqual(['run copy', 'run a', 'made late', 'undo a', 'undo copy']);
  });

  it('charges an interruption to the step in line and stops the background step beside it', async () => {
    const log: Log = [];
    const controller = new AbortController();
    const reasons: unknown[] = [];
    const steps = [step('copy', (signal) => untilAborted(signal, reasons), { background: true }), step('wait', (signal) => (controller.abort(new Error('received SIGTERM')), untilAborted(signal)))];
    const outcome = await runSteps(steps, log, { budgetMs: 5000, clock: realClock, signal: controller.signal });
    expect(outcome.failure).toMatchObject({ stage: 'wait', kind: 'interrupted', started: true });
    expect((outcome.failure!.error as StepInterrupted).message).toBe('received SIGTERM');
    expect(statuses(outcome)).toEqual({ copy: 'stopped', wait: 'failed' });
    expect(reasons).toEqual([new StepStopped('the run was interrupted (received SIGTERM)')]);
    expect(log).toEqual(['run copy', 'run wait', 'undo wait', 'undo copy']);
  });

  it('charges an interruption to the background step the run waits for, and does not begin the step that needs it', async () => {
    const log: Log = [];
    const controller = new AbortController();
    const reasons: unknown[] = [];
    const steps = [step('copy', (signal) => untilAborted(signal, reasons), { background: true }), step('a'), step('drive', undefined, { needs: ['copy'] })];
    const running = runSteps(steps, log, {
      budgetMs: 5000,
      clock: realClock,
      signal: controller.signal,
      // Once a has ended the run waits for copy; interrupt it there, a turn of the event loop later.
      onEvent: (event) => void (event.type === 'step-end' && event.name === 'a' && setImmediate(() => controller.abort(new Error('received SIGINT')))),
    });
    const outcome = await running;
    expect(outcome.failure).toMatchObject({ stage: 'copy', kind: 'interrupted', started: true });
    expect(reasons).toEqual([new StepInterrupted('received SIGINT')]);
    expect(statuses(outcome)).toEqual({ copy: 'failed', a: 'passed', drive: 'not-run' });
    expect(log).toEqual(['run copy', 'run a', 'end a', 'undo a', 'undo copy']);
  });

  it('times a background step out at its own limit, whatever the step in line is doing', async () => {
    const log: Log = [];
    const steps = [step('copy', (signal) => untilAborted(signal), { background: true, timeoutMs: 30 }), step('long', (signal) => untilAborted(signal), { timeoutMs: 5000 }), step('drive', undefined, { needs: ['copy'] })];
    const outcome = await runSteps(steps, log, { budgetMs: 5000, clock: realClock });
    expect(outcome.failure).toMatchObject({ stage: 'copy', kind: 'timeout', limitMs: 30 });
    expect((outcome.failure!.error as StepTimeout).budget).toBe(false);
    expect(statuses(outcome)).toEqual({ copy: 'failed', long: 'stopped', drive: 'not-run' });
  });

  it('refuses a list in which a step needs one that does not come before it, before running anything', async () => {
    const log: Log = [];
    await expect(runSteps([step('drive', undefined, { needs: ['copy'] }), step('copy', undefined, { background: true })], log, { budgetMs: 5000, clock: realClock })).rejects.toThrow(
      'step "drive" needs "copy", which is not a step before it (steps: drive, copy)',
    );
    expect(log).toEqual([]);
  });
});
