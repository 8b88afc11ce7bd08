import { roundMs, stageToJson, toolJson, type StageJson, type ToolJson } from '../json-style.ts';
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

/** The boot result as JSON: snake_case keys, ms rounded to 0.1, and the tool that wrote it. */
export interface BootJson {
  tool: ToolJson;
  ok: boolean;
  lab_id: string;
  lab_dir: string;
  socket_path: string;
  serial_log_path: string;
  log_path: string;
  pid: number | null;
  kept: boolean;
  marker: string;
  marker_line: { line_number: number; text: string } | null;
  firecracker_version: string | null;
  rootfs_copy: CopyMethod | null;
  /** netd's network for the lab, as the boot got it (its fields are snake_case already). */
  network: VmNetwork | null;
  exit: { code: number | null; signal: string | null } | null;
  /** Every stage in order: start (after the boot's start) and duration; not-run stages have start_ms null. */
  stages: StageJson[];
  total_ms: number;
  cleanup_errors: Array<{ name: string; message: string }>;
  failed_stage: string | null;
  error: { code: string; stage: string; summary: string; attempted: string | null; reason: string | null; hint: string | null } | null;
  hint: string | null;
  serial_tail: string | null;
  log_tail: string | null;
  stderr_tail: string | null;
}

/** Returns the result as JSON (`boot --json`, the fleet report's input); the error flattened to its parts. Pure. */
export function bootResultToJson(result: BootResult): BootJson {
  const { error } = result;
  return {
    tool: toolJson(),
    ok: result.ok,
    lab_id: result.labId,
    lab_dir: result.labDir,
    socket_path: result.socketPath,
    serial_log_path: result.serialLogPath,
    log_path: result.logPath,
    pid: result.pid,
    kept: result.kept,
    marker: result.marker,
    marker_line: result.markerLine && { line_number: result.markerLine.lineNumber, text: result.markerLine.text },
    firecracker_version: result.firecrackerVersion,
    rootfs_copy: result.rootfsCopy,
    network: result.network && { ...result.network },
    exit: result.exit && { code: result.exit.code, signal: result.exit.signal },
    stages: result.stages.map(stageToJson),
    total_ms: roundMs(result.totalMs),
    cleanup_errors: result.cleanupErrors.map((c) => ({ name: c.name, message: c.message })),
    failed_stage: result.failedStage,
    error: error && { code: error.code, stage: error.stage, summary: error.summary, attempted: error.attempted ?? null, reason: error.reason ?? null, hint: error.hint ?? null },
    hint: result.hint,
    serial_tail: result.serialTail,
    log_tail: result.logTail,
    stderr_tail: result.stderrTail,
  };
}
