/**
 * Runs a named list of steps, each with its own timeout inside a total budget. Each step registers
 * its own cleanups; teardown runs them in reverse, always (success, failure, timeout, interrupt),
 * collects their errors, and never lets one hide the run's own error. Steps are values: variants of
 * a run are edits of the list.
 *
 * Interruption never races teardown: a run aborted before a step begins does not begin it, and a
 * step aborted mid-way (its signal fires) is waited for until it has stopped, so every cleanup it
 * registers, up to its last creation, is in place before teardown starts. A step that does not stop
 * within `settleTimeoutMs` is reported as a teardown failure; a cleanup it registers after teardown
 * began runs at once.
 */

/** One step: a name (the stage in results and errors), a title, a timeout, and its work. */
export interface Step<S> {
  name: string;
  title: string;
  /** Own limit in ms; absent = whatever is left of the budget. Always capped by the budget. */
  timeoutMs?: number;
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
  | { type: 'step-end'; name: string; title: string; ms: number; ok: boolean }
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

/** One step's timing. `not-run` steps come after the failed one. */
export interface StageTiming {
  name: string;
  title: string;
  /** When the step started, in ms after the run started; null for a step that did not run. */
  startMs: number | null;
  ms: number;
  status: 'passed' | 'failed' | 'not-run';
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

/** Raised into a step's signal when its own limit or the budget expires. */
export class StepTimeout extends Error {
  constructor(
    readonly limitMs: number,
    readonly budget: boolean,
  ) {
    super(budget ? `the total budget ran out (${limitMs} ms left for this step)` : `no result within ${limitMs} ms`);
  }
}

/** Raised into a step's signal when the run is interrupted. */
export class StepInterrupted extends Error {}

/** Raised into a step's signal once the step has settled, so that work it left behind stops. */
export class StepSettled extends Error {
  constructor(step: string) {
    super(`step "${step}" has settled`);
  }
}

/** Runs `steps` in order on `state`; never throws for a step's failure, returns it instead. */
export async function runSteps<S>(steps: readonly Step<S>[], state: S, options: RunStepsOptions): Promise<RunOutcome> {
  const cleanups: Array<{ name: string; run: () => Promise<void>; keepable: boolean }> = [];
  const stages: StageTiming[] = steps.map((s) => ({ name: s.name, title: s.title, startMs: null, ms: 0, status: 'not-run' }));
  const started = options.clock.now();
  let tornDown = false;
  const defer: StepContext<S>['defer'] = (name, run, o) => {
    // Only a step that outlived its settle limit gets here: undo its creation at once.
    if (tornDown) return void run().catch(() => undefined);
    cleanups.push({ name, run, keepable: o?.keepable === true });
  };
  const stragglers: CleanupFailure[] = [];
  let failure: StepFailure | null = null;
  for (const [index, step] of steps.entries()) {
    if (options.signal?.aborted) {
      // Interrupted between steps (or before the first): the next one is not begun at all.
      failure = { stage: step.name, title: step.title, kind: 'interrupted', error: new StepInterrupted(describeReason(options.signal.reason)), started: false };
      break;
    }
    const remaining = options.budgetMs - (options.clock.now() - started);
    const budgetBound = step.timeoutMs === undefined || step.timeoutMs >= remaining;
    const limit = Math.max(0, Math.min(step.timeoutMs ?? remaining, remaining));
    options.onEvent?.({ type: 'step-start', name: step.name, title: step.title });
    const stepStart = options.clock.now();
    const ran = await runOne(step, state, { limit, budgetBound, outer: options.signal, defer, settleMs: options.settleTimeoutMs ?? 5000 });
    failure = ran.failure;
    if (ran.straggler) stragglers.push(ran.straggler);
    const ms = options.clock.now() - stepStart;
    stages[index] = { name: step.name, title: step.title, startMs: stepStart - started, ms, status: failure ? 'failed' : 'passed' };
    options.onEvent?.({ type: 'step-end', name: step.name, title: step.title, ms, ok: !failure });
    if (failure) break;
  }
  if (failure && options.onFailure) await options.onFailure(failure).catch(() => undefined);
  const totalMs = options.clock.now() - started;
  tornDown = true;
  const { cleanupFailures, kept } = await teardown(cleanups, options.keep === true && failure === null, options);
  return { stages, totalMs, failure, cleanupFailures: [...stragglers, ...cleanupFailures], kept };
}

interface Cleanup {
  name: string;
  run: () => Promise<void>;
  keepable: boolean;
}

interface RunOneOptions<S> {
  limit: number;
  budgetBound: boolean;
  outer: AbortSignal | undefined;
  defer: StepContext<S>['defer'];
  settleMs: number;
}

async function runOne<S>(step: Step<S>, state: S, o: RunOneOptions<S>): Promise<{ failure: StepFailure | null; straggler?: CleanupFailure }> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(new StepInterrupted(describeReason(o.outer?.reason)));
  if (o.outer?.aborted) onOuterAbort();
  o.outer?.addEventListener('abort', onOuterAbort, { once: true });
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
    return { failure: null };
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : undefined;
    const base = { stage: step.name, title: step.title, started: true };
    // Told to stop: wait until it has, so that what it created is registered before teardown.
    const straggler = reason === undefined ? undefined : await settle(step, work, o.settleMs);
    if (reason instanceof StepTimeout) return { failure: { ...base, kind: 'timeout', error: reason, limitMs: reason.limitMs }, straggler };
    if (reason instanceof StepInterrupted) return { failure: { ...base, kind: 'interrupted', error: reason }, straggler };
    return { failure: { ...base, kind: 'failed', error }, straggler };
  } finally {
    clearTimeout(timer);
    o.outer?.removeEventListener('abort', onOuterAbort);
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

async function teardown(
  cleanups: Cleanup[],
  keep: boolean,
  options: RunStepsOptions,
): Promise<{ cleanupFailures: CleanupFailure[]; kept: string[] }> {
  const cleanupFailures: CleanupFailure[] = [];
  const kept: string[] = [];
  const limit = options.cleanupTimeoutMs ?? 10_000;
  for (const cleanup of cleanups.reverse()) {
    if (keep && cleanup.keepable) {
      kept.push(cleanup.name);
      options.onEvent?.({ type: 'cleanup', name: cleanup.name, ok: true, kept: true });
      continue;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        cleanup.run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`cleanup "${cleanup.name}" did not finish within ${limit} ms`)), limit);
        }),
      ]);
      options.onEvent?.({ type: 'cleanup', name: cleanup.name, ok: true, kept: false });
    } catch (error) {
      cleanupFailures.push({ name: cleanup.name, error });
      options.onEvent?.({ type: 'cleanup', name: cleanup.name, ok: false, kept: false });
    } finally {
      clearTimeout(timer);
    }
  }
  return { cleanupFailures, kept };
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'interrupted' : String(reason);
}
