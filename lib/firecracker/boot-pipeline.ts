import { describeError, VerifyError } from '../errors.ts';
import { createRealHost } from '../host/real-host.ts';
import { randomUuid } from '../host/random-id.ts';
import type { Host } from '../host/types.ts';
import { createRealLabFs } from '../host/vmm/real-lab-fs.ts';
import { spawnVmm } from '../host/vmm/spawn-vmm.ts';
import { createFirecrackerApi, type FirecrackerApi } from './api-client.ts';
import type { BootResult } from './boot-result.ts';
import type { BootInputs, BootState, BootStep } from './boot-state.ts';
import { DEFAULT_BOOT_STEPS, withNetwork, withoutGuestExit } from './boot-steps.ts';
import { BootStageError } from './errors.ts';
import type { LabFs } from './lab-fs.ts';
import { labPaths } from './lab-layout.ts';
import { diagnoseSerial } from './marker-diagnosis.ts';
import type { NetdLease } from './netd-lease.ts';
import { runSteps, StepTimeout, type Clock, type RunOutcome, type StepEvent, type StepFailure } from './run-steps.ts';
import { SerialLineScanner } from './serial-lines.ts';
import type { SpawnVmm } from './vmm-process.ts';

/** Everything a boot takes; only `inputs` is required, the rest defaults to the real machine. */
export interface BootOptions {
  inputs: Omit<BootInputs, 'labId'> & { labId?: string };
  /** Total budget for all stages (teardown is not counted); default 60 s. */
  budgetMs?: number;
  keep?: boolean;
  /** Aborting it (SIGINT/SIGTERM of the runner) stops the current stage and tears down. */
  signal?: AbortSignal;
  host?: Host;
  api?: (socketPath: string) => FirecrackerApi;
  spawn?: SpawnVmm;
  files?: LabFs;
  clock?: Clock;
  netd?: NetdLease;
  /** Progress events (stage start/end, cleanups), e.g. for a live display. */
  out?: (event: StepEvent) => void;
  /** Edits the step list after the built-in variants (network, keep) are applied. */
  editSteps?: (steps: BootStep[]) => BootStep[];
}

/**
 * Monotonic milliseconds from process.hrtime: the `performance` global (or node:perf_hooks) costs
 * about a millisecond to load on first use, on the boot's path before the spawn.
 */
const MONOTONIC_MS: Clock = { now: () => Number(process.hrtime.bigint()) / 1e6 };

const TAIL_BYTES = 4096;
const TAIL_LINES = 20;
const STAGE_HINTS: Record<string, string> = {
  'api-socket': 'Firecracker did not create its API socket: see its stderr and log below; a stale socket at that path makes it exit 1.',
  'api-ready': 'The API socket exists but GET / got no good answer: see firecracker.log.',
  'serial-marker': 'See the serial tail below for how far the guest got.',
};

/**
 * Boots a microVM in a fresh lab directory and waits for the marker line on its serial console,
 * then for the guest's reboot (firecracker exits 0). Teardown always runs: the process group is
 * killed, netd released, the socket and lab directory removed — unless a successful boot is kept.
 * Never throws for a failed boot: the failure is in the result.
 */
export async function bootMicroVm(options: BootOptions): Promise<BootResult> {
  const labId = options.inputs.labId ?? randomUuid();
  const inputs: BootInputs = { ...options.inputs, labId };
  const clock = options.clock ?? MONOTONIC_MS;
  const state: BootState = {
    inputs,
    deps: {
      host: options.host ?? createRealHost(),
      api: options.api ?? ((socketPath) => createFirecrackerApi({ socketPath })),
      spawn: options.spawn ?? spawnVmm,
      files: options.files ?? createRealLabFs(),
      ...(options.netd ? { netd: options.netd } : {}),
    },
    paths: labPaths(inputs.stateDir, labId),
    scanner: new SerialLineScanner(inputs.marker, inputs.markerMatch),
  };
  let steps = [...DEFAULT_BOOT_STEPS];
  if (options.netd) steps = withNetwork(steps);
  if (options.keep) steps = withoutGuestExit(steps);
  if (options.editSteps) steps = options.editSteps(steps);

  const tails = { serial: null as string | null, log: null as string | null, stderr: null as string | null };
  const readTails = async () => {
    const read = (file: string) => state.deps.files.readTail(file, TAIL_BYTES).then(lastLines, () => null);
    await state.serialTail?.drain().catch(() => undefined);
    tails.serial = await read(state.paths.serial);
    tails.log = await read(state.paths.log);
    tails.stderr = await read(state.paths.stderr);
  };
  const outcome = await runSteps(steps, state, {
    budgetMs: options.budgetMs ?? 60_000,
    clock,
    signal: options.signal,
    keep: options.keep,
    onEvent: options.out,
    onFailure: readTails,
  });
  if (outcome.failure === null && outcome.kept.length > 0) state.vmm?.detach();
  return buildResult(state, outcome, tails, options.keep === true);
}

function lastLines(text: string): string | null {
  const lines = text.replace(/\r/g, '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.length === 0 ? null : lines.slice(-TAIL_LINES).join('\n');
}

function buildResult(state: BootState, outcome: RunOutcome, tails: { serial: string | null; log: string | null; stderr: string | null }, keep: boolean): BootResult {
  const cleanupErrors = outcome.cleanupFailures.map((c) => ({ name: c.name, message: describeError(c.error) }));
  let error: BootStageError | null = outcome.failure ? stageError(state, outcome.failure, tails, outcome.stages[0]?.name === outcome.failure.stage) : null;
  if (!error && outcome.cleanupFailures.length > 0) {
    const first = outcome.cleanupFailures[0]!;
    error = new BootStageError('teardown', {
      code: 'BOOT_TEARDOWN_FAILED',
      summary: `teardown failed: ${first.name}: ${describeError(first.error)}`,
      reason: cleanupErrors.map((c) => `${c.name}: ${c.message}`).join('; '),
      hint: `Something may be left behind: run \`octolab-verify cleanup\`, or remove ${state.paths.dir} and kill firecracker --id ${state.paths.instanceId} by hand.`,
      cause: first.error,
    });
  }
  return {
    ok: error === null,
    labId: state.inputs.labId,
    labDir: state.paths.dir,
    socketPath: state.paths.socket,
    serialLogPath: state.paths.serial,
    logPath: state.paths.log,
    pid: state.vmm?.pid ?? null,
    kept: keep && error === null && outcome.kept.length > 0,
    marker: state.inputs.marker,
    markerLine: state.markerLine ?? null,
    firecrackerVersion: state.version ?? null,
    rootfsCopy: state.copyMethod ?? null,
    network: state.network ?? null,
    exit: state.exit ?? state.vmm?.exit() ?? null,
    stages: outcome.stages,
    totalMs: outcome.totalMs,
    cleanupErrors,
    failedStage: error?.stage ?? null,
    error,
    hint: error?.hint ?? null,
    serialTail: error ? tails.serial : null,
    logTail: error ? tails.log : null,
    stderrTail: error ? tails.stderr : null,
  };
}

/** What an interruption did: mid-stage (torn down), between stages, or before the boot began (nothing made). */
function interruptedText(failure: StepFailure, why: string, first: boolean): string {
  if (failure.started) return `was interrupted (${why}); the lab was torn down`;
  return `was not started: the boot was interrupted (${why}) ${first ? 'before it began; nothing was created' : 'before this stage; the lab was torn down'}`;
}

/** Wraps what stopped a stage into one error that names the stage and carries the output tails. */
function stageError(state: BootState, failure: StepFailure, tails: { serial: string | null; log: string | null; stderr: string | null }, first: boolean): BootStageError {
  const cause = failure.error;
  const inner = cause instanceof VerifyError ? cause : null;
  const output = [
    tails.stderr && `firecracker stderr:\n${tails.stderr}`,
    tails.serial && `serial (last lines):\n${tails.serial}`,
    tails.log && `firecracker.log (last lines):\n${tails.log}`,
  ]
    .filter(Boolean)
    .join('\n');
  const diagnosis = failure.stage === 'serial-marker' && failure.kind === 'timeout' ? diagnoseSerial(state.scanner, state.inputs.bootArgs) : null;
  const what =
    failure.kind === 'timeout'
      ? `timed out after ${Math.round(failure.limitMs ?? 0)} ms${cause instanceof StepTimeout && cause.budget ? ' (the rest of the total budget; raise --timeout)' : ''}${diagnosis ? `: ${diagnosis.finding}` : ''}`
      : failure.kind === 'interrupted'
        ? interruptedText(failure, describeError(cause), first)
        : `failed: ${describeError(cause)}`;
  return new BootStageError(failure.stage, {
    code: failure.kind === 'timeout' ? 'BOOT_STAGE_TIMEOUT' : failure.kind === 'interrupted' ? 'BOOT_INTERRUPTED' : 'BOOT_STAGE_FAILED',
    summary: `boot stage "${failure.stage}" (${failure.title}) ${what}`,
    attempted: failure.title,
    reason: inner?.reason ?? (failure.kind === 'failed' ? describeError(cause) : undefined),
    output: output || undefined,
    hint:
      failure.kind === 'interrupted'
        ? 'Stopped on request (SIGINT/SIGTERM), after undoing what it had made; run `octolab-verify boot` again to boot.'
        : (diagnosis?.hint ?? inner?.hint ?? STAGE_HINTS[failure.stage] ?? 'See the output below; `octolab-verify doctor` checks the prerequisites.'),
    cause,
  });
}
