/**
 * The result of the guest-run KVM probe: one shape for pass and every failure, so the doctor
 * check, the renderers and the host facts read the same fields.
 */
import type { GuestStageId } from './guest-code.ts';

export type { GuestStageId } from './guest-code.ts';

/**
 * How the guest run ended.
 * - `pass`: every stage reported and the guest halted.
 * - `emulation-failure`: KVM_EXIT_INTERNAL_ERROR with suberror 1 (KVM could not emulate an instruction).
 * - `internal-error`: KVM_EXIT_INTERNAL_ERROR with another suberror.
 * - `entry-failure`: KVM_EXIT_FAIL_ENTRY (the hardware refused to enter the guest).
 * - `shutdown`: KVM_EXIT_SHUTDOWN (the guest triple-faulted).
 * - `unexpected-exit`: an exit the guest does not cause when it works (a wrong port, MMIO, an early hlt).
 * - `wrong-result`: a stage reported that its own check failed.
 * - `time-limit`: the guest did not finish within the time limit (KVM_RUN was kicked out).
 * - `exit-limit`: more KVM_RUN calls than the guest can need.
 * - `run-failed`: KVM_RUN itself returned an error.
 */
export type GuestVerdict =
  | 'pass'
  | 'emulation-failure'
  | 'internal-error'
  | 'entry-failure'
  | 'shutdown'
  | 'unexpected-exit'
  | 'wrong-result'
  | 'time-limit'
  | 'exit-limit'
  | 'run-failed';

/** What the probe saw: the verdict, the stage reached, the last exit, and how long it took. */
export interface GuestProbeResult {
  verdict: GuestVerdict;
  /** True only for `pass`. */
  ok: boolean;
  /** The stage the guest was in when the run ended (`halt` after a pass). */
  stage: GuestStageId;
  /** What that stage does, in words. */
  stageTitle: string;
  /** Stages that reported success, in order. */
  stagesPassed: GuestStageId[];
  /** kvm_run.exit_reason of the last exit, or null when KVM_RUN never returned an exit. */
  exitReason: number | null;
  /** Its <linux/kvm.h> name (KVM_EXIT_HLT), or `none`. */
  exitName: string;
  /** kvm_run.internal.suberror for KVM_EXIT_INTERNAL_ERROR, else null. */
  suberror: number | null;
  /** One line: what happened. */
  detail: string;
  /** Hex bytes KVM fetched at rip when emulation failed (the failing instruction first), when KVM reported them. */
  instructionBytes: string | null;
  /** KVM_RUN calls made. */
  runs: number;
  /** Wall time of the whole probe (setup, run, cleanup), in milliseconds. */
  durationMs: number;
}

/** The outcome of the run loop alone: the result without the probe's duration. */
export type GuestRunOutcome = Omit<GuestProbeResult, 'durationMs'>;

/** Options of one probe run. */
export interface GuestProbeOptions {
  /** Upper bound of the whole run; a vCPU still inside KVM_RUN then is kicked out with a signal. */
  timeLimitMs: number;
}
