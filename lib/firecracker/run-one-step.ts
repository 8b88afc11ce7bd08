import type { CleanupFailure, Step, StepContext, StepFailure } from './run-steps.ts';
import { StepInterrupted, StepSettled, StepStopped, StepTimeout } from './step-aborts.ts';

/** How the runner runs one step. */
export interface RunOneOptions<S> {
  /** The step's limit in ms (its own, capped by what is left of the budget). */
  limit: number;
  /** True when the limit is the rest of the budget rather than the step's own. */
  budgetBound: boolean;
  /** Aborted by the runner, with a StepInterrupted or StepStopped reason, to stop this step. */
  stop: AbortSignal;
  defer: StepContext<S>['defer'];
  settleMs: number;
  /** Called the moment the step has failed (before waiting for it to settle), so the runner can stop the others at once. */
  onFailure(failure: StepFailure): void;
}

/** How one step ended: its failure, or stopped on the runner's word, and a report if it did not stop in time. */
export interface OneOutcome {
  failure: StepFailure | null;
  /** Told to stop (StepStopped) because the run ended elsewhere; not a failure of its own. */
  stopped: boolean;
  straggler?: CleanupFailure;
}

/**
 * Runs one step under its limit. A step told to stop (timeout, interruption, the run ending at
 * another step) is waited for until it has stopped, so that what it created is registered before
 * teardown; one that does not stop within `settleMs` is reported as a straggler.
 */
export async function runOne<S>(step: Step<S>, state: S, o: RunOneOptions<S>): Promise<OneOutcome> {
  const controller = new AbortController();
  const onStop = () => controller.abort(o.stop.reason);
  if (o.stop.aborted) onStop();
  o.stop.addEventListener('abort', onStop, { once: true });
  const timer = setTimeout(() => controller.abort(new StepTimeout(o.limit, o.budgetBound)), o.limit);
  const aborted = new Promise<never>((_, reject) => {
    if (controller.signal.aborted) reject(controller.signal.reason);
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  const work = Promise.resolve().then(() => step.run({ state, signal: controller.signal, defer: o.defer }));
  work.catch(() => undefined); // a step abandoned at its deadline must not raise an unhandled rejection
  try {
    await Promise.race([work, aborted]);
    return { failure: null, stopped: false };
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : undefined;
    if (reason instanceof StepStopped) return { failure: null, stopped: true, straggler: await settle(step, work, o.settleMs) };
    const base = { stage: step.name, title: step.title, started: true };
    const failure: StepFailure =
      reason instanceof StepTimeout
        ? { ...base, kind: 'timeout', error: reason, limitMs: reason.limitMs }
        : reason instanceof StepInterrupted
          ? { ...base, kind: 'interrupted', error: reason }
          : { ...base, kind: 'failed', error };
    o.onFailure(failure);
    // Told to stop: wait until it has, so that what it created is registered before teardown.
    const straggler = reason === undefined ? undefined : await settle(step, work, o.settleMs);
    return { failure, stopped: false, straggler };
  } finally {
    clearTimeout(timer);
    o.stop.removeEventListener('abort', onStop);
    // Whatever the step left waiting (a watcher, a request) is told to stop now.
    if (!controller.signal.aborted) controller.abort(new StepSettled(step.name));
  }
}

/** Waits up to `ms` for an aborted step's work to end; returns a failure to report when it did not. */
async function settle<S>(step: Step<S>, work: Promise<void>, ms: number): Promise<CleanupFailure | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    const outcome = await Promise.race([work.then(() => 'done' as const, () => 'done' as const), late]);
    if (outcome === 'done') return undefined;
    return {
      name: `stop the "${step.name}" stage`,
      error: new Error(`it did not stop within ${ms} ms of being told to; what it creates from now on is removed as soon as it registers it, anything else is left for \`octolab-verify cleanup\``),
    };
  } finally {
    clearTimeout(timer);
  }
}
