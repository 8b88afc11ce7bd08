import { runOne, type OneOutcome } from './run-one-step.ts';
import { describeReason, StepInterrupted, StepStopped } from './step-aborts.ts';
import { teardown, type Cleanup } from './step-teardown.ts';

export { StepInterrupted, StepSettled, StepStopped, StepTimeout } from './step-aborts.ts';

/**
 * Runs a named list of steps, each with its own timeout inside a total budget. Each step registers
 * its own cleanups; teardown runs them in reverse, always (success, failure, timeout, interrupt),
 * collects their errors, and never lets one hide the run's own error. Steps are values: variants of
 * a run are edits of the list.
 *
 * A step marked `background` runs alongside the steps after it: the run begins the next step at
 * once, and a later step that `needs` it waits for it before it begins (the run waits for it before
 * it ends, at the latest). Whichever step fails first is the run's failure; every step still running
 * then is told to stop and is reported as `stopped`. Stage timings are each step's own, so
 * overlapping steps show as overlapping on the timeline.
 *
 * Interruption never races teardown: a run aborted before a step begins does not begin it, and a
 * step aborted mid-way (its signal fires) is waited for until it has stopped, so every cleanup it
 * registers, up to its last creation, is in place before teardown starts. The interruption is
 * charged to the step the run is at (the step in line, or the background step a later one waits
 * for); steps running alongside it stop. A step that does not stop within `settleTimeoutMs` is
 * reported as a teardown failure; a cleanup it registers after teardown began runs at once.
 */

/** One step: a name (the stage in results and errors), a title, a timeout, and its work. */
export interface Step<S> {
  name: string;
  title: string;
  /** Own limit in ms; absent = whatever is left of the budget. Always capped by the budget. */
  timeoutMs?: number;
  /** Runs alongside the steps after it instead of before them; a later step waits for it through `needs`. */
  background?: boolean;
  /** Steps earlier in the list (background ones) that must have passed before this one begins. */
  needs?: readonly string[];
  run(ctx: StepContext<S>): Promise<void>;
}

/** What a step receives. */
export interface StepContext<S> {
  state: S;
  /** Aborted when this step times out, the budget runs out or the run is interrupted. */
  signal: AbortSignal;
  /** Registers a cleanup. `keepable` cleanups are skipped when a successful run is kept (KEEP mode). */
  defer(name: string, cleanup: () => Promise<void>, options?: { keepable?: boolean }): void;
}

/** Monotonic milliseconds; injected so timings can be pinned in tests. */
export interface Clock {
  now(): number;
}

/** Progress, for a live display. */
export type StepEvent =
  | { type: 'step-start'; name: string; title: string }
  | { type: 'step-end'; name: string; title: string; ms: number; ok: boolean; status: StageTiming['status'] }
  | { type: 'cleanup'; name: string; ok: boolean; kept: boolean };

/** Why the run stopped at a step. */
export type FailureKind = 'failed' | 'timeout' | 'interrupted';

/** The step that stopped the run, how, and the error it (or its deadline) produced. */
export interface StepFailure {
  stage: string;
  title: string;
  kind: FailureKind;
  error: unknown;
  /** The limit that expired, for timeouts. */
  limitMs?: number;
  /** False when the run was interrupted before this step began: it did nothing. */
  started: boolean;
}

/** A cleanup that failed. */
export interface CleanupFailure {
  name: string;
  error: unknown;
}

/**
 * One step's timing. `not-run` steps were never begun (after the failure, or after an
 * interruption); `stopped` ones were running alongside the step the run ended at and were told to stop.
 */
export interface StageTiming {
  name: string;
  title: string;
  /** When the step started, in ms after the run started; null for a step that did not run. */
  startMs: number | null;
  ms: number;
  status: 'passed' | 'failed' | 'stopped' | 'not-run';
}

/** Options of one run. */
export interface RunStepsOptions {
  budgetMs: number;
  clock: Clock;
  signal?: AbortSignal;
  keep?: boolean;
  onEvent?: (event: StepEvent) => void;
  /** Called after a failure and before teardown: the moment to read logs that teardown removes. */
  onFailure?: (failure: StepFailure) => Promise<void>;
  /** Limit for each cleanup; default 10 s. */
  cleanupTimeoutMs?: number;
  /** How long a step whose signal fired may take to stop before teardown goes on without it; default 5 s. */
  settleTimeoutMs?: number;
}

/** What happened: timings, the failure (if any), failed cleanups, and what was kept. */
export interface RunOutcome {
  stages: StageTiming[];
  totalMs: number;
  failure: StepFailure | null;
  cleanupFailures: CleanupFailure[];
  kept: string[];
}

/** Runs `steps` in order on `state`; never throws for a step's failure, returns it instead. Throws for a list whose `needs` name no earlier step. */
export async function runSteps<S>(steps: readonly Step<S>[], state: S, options: RunStepsOptions): Promise<RunOutcome> {
  checkNeeds(steps);
  const cleanups: Cleanup[] = [];
  const stages: StageTiming[] = steps.map((s) => ({ name: s.name, title: s.title, startMs: null, ms: 0, status: 'not-run' }));
  const started = options.clock.now();
  let tornDown = false;
  const defer: StepContext<S>['defer'] = (name, run, o) => {
    // Only a step that outlived its settle limit gets here: undo its creation at once.
    if (tornDown) return void run().catch(() => undefined);
    cleanups.push({ name, run, keepable: o?.keepable === true });
  };
  const stragglers: CleanupFailure[] = [];
  const settleMs = options.settleTimeoutMs ?? 5000;
  const run = { failure: null as StepFailure | null, current: null as string | null };
  /** Steps under way, each with the switch that stops it. */
  const running = new Map<string, AbortController>();
  /** Background steps begun, by name; each resolves once its step has settled. */
  const background = new Map<string, Promise<OneOutcome>>();

  // The first failure is the run's; every other step still running is told to stop.
  const claim = (failure: StepFailure) => {
    if (run.failure) return;
    run.failure = failure;
    const why = `stage "${failure.stage}" ${failure.kind === 'interrupted' ? 'was interrupted' : failure.kind === 'timeout' ? 'timed out' : 'failed'}`;
    for (const [name, stop] of running) if (name !== failure.stage) stop.abort(new StepStopped(why));
  };
  // An interruption is charged to the step the run is at; the steps alongside it stop.
  const interruption = (name: string) => {
    const why = describeReason(options.signal?.reason);
    return name === run.current ? new StepInterrupted(why) : new StepStopped(`the run was interrupted (${why})`);
  };
  const onInterrupt = () => {
    for (const [name, stop] of running) stop.abort(interruption(name));
  };
  options.signal?.addEventListener('abort', onInterrupt, { once: true });

  const begin = (index: number, step: Step<S>): Promise<OneOutcome> => {
    const remaining = options.budgetMs - (options.clock.now() - started);
    const budgetBound = step.timeoutMs === undefined || step.timeoutMs >= remaining;
    const limit = Math.max(0, Math.min(step.timeoutMs ?? remaining, remaining));
    options.onEvent?.({ type: 'step-start', name: step.name, title: step.title });
    const stepStart = options.clock.now();
    const stop = new AbortController();
    running.set(step.name, stop);
    // Interrupted from the step-start event itself: the step learns it at once.
    if (options.signal?.aborted) stop.abort(interruption(step.name));
    return runOne(step, state, { limit, budgetBound, stop: stop.signal, defer, settleMs, onFailure: claim }).then((ran) => {
      running.delete(step.name);
      if (ran.straggler) stragglers.push(ran.straggler);
      const ms = options.clock.now() - stepStart;
      const status = ran.failure ? 'failed' : ran.stopped ? 'stopped' : 'passed';
      stages[index] = { name: step.name, title: step.title, startMs: stepStart - started, ms, status };
      options.onEvent?.({ type: 'step-end', name: step.name, title: step.title, ms, ok: status === 'passed', status });
      return ran;
    });
  };
  // The run is at `name` while it waits for it.
  const awaitAt = async (name: string, pending: Promise<OneOutcome>) => {
    run.current = name;
    await pending;
    run.current = null;
  };

  for (const [index, step] of steps.entries()) {
    for (const need of step.needs ?? []) {
      const pending = background.get(need);
      if (pending && !run.failure) await awaitAt(need, pending);
    }
    if (run.failure) break;
    if (options.signal?.aborted) {
      // Interrupted between steps (or before the first): the next one is not begun at all.
      claim({ stage: step.name, title: step.title, kind: 'interrupted', error: new StepInterrupted(describeReason(options.signal.reason)), started: false });
      break;
    }
    if (!step.background) run.current = step.name;
    const outcome = begin(index, step);
    if (step.background) background.set(step.name, outcome);
    else await awaitAt(step.name, outcome);
    if (run.failure) break;
  }
  // Background steps no later step needed: the run waits for them too, so nothing outlives its result.
  for (const [name, pending] of background) if (!run.failure) await awaitAt(name, pending);
  // After a failure every step still running was told to stop: wait until each has settled.
  await Promise.all(background.values());
  options.signal?.removeEventListener('abort', onInterrupt);

  const failure = run.failure;
  if (failure && options.onFailure) await options.onFailure(failure).catch(() => undefined);
  const totalMs = options.clock.now() - started;
  tornDown = true;
  const { cleanupFailures, kept } = await teardown(cleanups, options.keep === true && failure === null, options);
  return { stages, totalMs, failure, cleanupFailures: [...stragglers, ...cleanupFailures], kept };
}

/** Throws when a step needs one that does not come before it (a list edited into an impossible order). */
function checkNeeds<S>(steps: readonly Step<S>[]): void {
  const before = new Set<string>();
  for (const step of steps) {
    for (const need of step.needs ?? []) {
      if (!before.has(need)) throw new Error(`step "${step.name}" needs "${need}", which is not a step before it (steps: ${steps.map((s) => s.name).join(', ')})`);
    }
    before.add(step.name);
  }
}
