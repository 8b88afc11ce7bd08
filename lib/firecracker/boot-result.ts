import type { BootStageError } from './errors.ts';
import type { CopyMethod } from './lab-fs.ts';
import type { VmNetwork } from './netd-lease.ts';
import type { StageTiming } from './run-steps.ts';
import type { SerialLine } from './serial-lines.ts';
import type { ProcessExit } from './vmm-process.ts';

/**
 * The result of one boot. Success and failure share this shape: a failed boot has every field a
 * passing one has, plus the failed stage, the error, a hint, and the tails of the serial output,
 * firecracker.log and stderr (read before teardown removed them).
 */
export interface BootResult {
  ok: boolean;
  labId: string;
  labDir: string;
  socketPath: string;
  serialLogPath: string;
  logPath: string;
  /** Firecracker's pid (= its process group id), once started. */
  pid: number | null;
  /** True when KEEP mode left the VM and its lab directory in place. */
  kept: boolean;
  marker: string;
  /** Where the marker was seen: its serial line number and text. */
  markerLine: SerialLine | null;
  firecrackerVersion: string | null;
  rootfsCopy: CopyMethod | null;
  network: VmNetwork | null;
  /** How firecracker ended, when the boot saw it end. */
  exit: ProcessExit | null;
  /** Every stage in order, with its time; stages after a failure are `not-run`. */
  stages: StageTiming[];
  totalMs: number;
  /** Cleanups that failed (the run's own error, if any, is `error`). */
  cleanupErrors: Array<{ name: string; message: string }>;
  failedStage: string | null;
  error: BootStageError | null;
  hint: string | null;
  serialTail: string | null;
  logTail: string | null;
  stderrTail: string | null;
}

/** The result as plain JSON (the error flattened to its parts). */
export function bootResultToJson(result: BootResult): Record<string, unknown> {
  const { error, ...rest } = result;
  return {
    ...rest,
    error: error && { code: error.code, stage: error.stage, summary: error.summary, attempted: error.attempted ?? null, reason: error.reason ?? null, hint: error.hint ?? null },
  };
}
