/**
 * Why a step's signal fired: its limit expired, the run was interrupted, the run ended at another
 * step while this one was running, or the step had already settled. The runner tells them apart to
 * report each step truthfully (timeout, interrupted, stopped, passed).
 */

/** Raised into a step's signal when its own limit or the budget expires. */
export class StepTimeout extends Error {
  constructor(
    readonly limitMs: number,
    readonly budget: boolean,
  ) {
    super(budget ? `the total budget ran out (${limitMs} ms left for this step)` : `no result within ${limitMs} ms`);
  }
}

/** Raised into the signal of the step the run is at when the run is interrupted (SIGINT/SIGTERM). */
export class StepInterrupted extends Error {}

/**
 * Raised into the signal of a step that runs alongside the one the run ended at: another step
 * failed, or the run was interrupted while it was at another step. The step stops without a
 * failure of its own; its stage is `stopped`.
 */
export class StepStopped extends Error {}

/** Raised into a step's signal once the step has settled, so that work it left behind stops. */
export class StepSettled extends Error {
  constructor(step: string) {
    super(`step "${step}" has settled`);
  }
}

/** The text of an abort reason: an Error's message, or the reason itself. */
export function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'interrupted' : String(reason);
}
