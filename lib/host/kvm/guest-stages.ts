/**
 * The stage/verdict logic of the guest-run probe, pure: it calls `driver.run()` until the guest
 * halts after its last stage or something else happens, and says what. It touches no OS: the real
 * vCPU and the fake in fixtures/fake-kvm.ts are both VcpuDrivers.
 */
import { GUEST_STAGES, HALT_STAGE, type GuestStage, type GuestStageId } from './guest-code.ts';
import type { GuestRunOutcome, GuestVerdict } from './guest-probe-result.ts';
import { exitReasonName, KVM_EXIT, KVM_INTERNAL_ERROR, suberrorName } from './ioctl-numbers.ts';
import type { VcpuDriver, VcpuExit } from './vcpu-exit.ts';

/** The guest makes five exits when it works; anything near this many KVM_RUN calls is a runaway. */
export const DEFAULT_MAX_RUNS = 256;

/** What the run loop needs besides the driver: a clock, the deadline, and the stages to expect. */
export interface DriveOptions {
  /** Monotonic milliseconds. */
  now: () => number;
  /** now() value at which the run is over. */
  deadlineAt: number;
  /** The limit the deadline came from, for messages. */
  timeLimitMs: number;
  maxRuns?: number;
  stages?: readonly GuestStage[];
}

const hex = (value: number | bigint) => `0x${value.toString(16)}`;

/** Renders bytes as spaced hex ("f0 48 0f c7"). */
export function renderBytes(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Describes an exit in a few words, for `detail`. */
export function describeExit(exit: VcpuExit): string {
  switch (exit.kind) {
    case 'io':
      return `I/O ${exit.direction} on port ${hex(exit.port)} (${exit.size} byte${exit.size === 1 ? '' : 's'} × ${exit.count})`;
    case 'mmio':
      return `MMIO ${exit.isWrite ? 'write' : 'read'} at guest-physical ${hex(exit.address)} (${exit.length} bytes): outside guest memory`;
    case 'interrupted':
      return 'KVM_RUN interrupted (EINTR)';
    case 'run-error':
      return `KVM_RUN failed: ${exit.errno}`;
    case 'internal-error':
      return `${exitReasonName(exit.reason)}, ${suberrorName(exit.suberror)}`;
    case 'fail-entry':
      return `${exitReasonName(exit.reason)}, hardware_entry_failure_reason ${hex(exit.hardwareReason)}`;
    default:
      return exitReasonName(exit.reason);
  }
}

/** Runs the guest through its stages and returns the verdict with the stage reached and the last exit. */
export function driveGuest(driver: VcpuDriver, options: DriveOptions): GuestRunOutcome {
  const stages = options.stages ?? GUEST_STAGES;
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  let reached = 0;
  let runs = 0;
  let last: VcpuExit | null = null;

  const finish = (verdict: GuestVerdict, detail: string): GuestRunOutcome =>
    buildOutcome(verdict, detail, stages, reached, runs, last);

  for (;;) {
    const current: GuestStage | undefined = stages[reached];
    const during = current ? `during stage ${current.id}` : 'after the last stage';
    if (options.now() >= options.deadlineAt) {
      return finish('time-limit', `the guest did not finish within ${options.timeLimitMs} ms (stuck ${during}, ${runs} KVM_RUN calls)`);
    }
    if (runs >= maxRuns) return finish('exit-limit', `${runs} KVM_RUN calls without finishing (${during}); the guest needs 5`);
    const exit = driver.run();
    runs += 1;
    last = exit;
    switch (exit.kind) {
      case 'interrupted':
        continue; // a deadline kick or a stray signal: the loop head decides which
      case 'io': {
        if (!current || exit.direction !== 'out' || exit.port !== current.port || exit.size !== 1 || exit.count !== 1) {
          return finish('unexpected-exit', `unexpected ${describeExit(exit)} ${during}`);
        }
        const value = exit.data[0];
        if (value !== current.value) {
          return finish('wrong-result', `stage ${current.id} reported ${value ?? 'nothing'} instead of ${current.value}: its own check failed`);
        }
        reached += 1;
        continue;
      }
      case 'hlt':
        if (current) return finish('unexpected-exit', `the guest halted ${during}, before reporting it`);
        return finish('pass', `all ${stages.length} stages reported and the guest halted`);
      case 'internal-error':
        if (exit.suberror === KVM_INTERNAL_ERROR.EMULATION) {
          return finish('emulation-failure', `KVM could not emulate an instruction ${during} (${describeExit(exit)})`);
        }
        return finish('internal-error', `${describeExit(exit)} ${during}`);
      case 'fail-entry':
        return finish('entry-failure', `the CPU refused to enter the guest ${during} (${describeExit(exit)})`);
      case 'shutdown':
        return finish('shutdown', `the guest triple-faulted ${during} (${describeExit(exit)})`);
      case 'run-error':
        return finish('run-failed', `${describeExit(exit)} ${during}`);
      default:
        return finish('unexpected-exit', `unexpected ${describeExit(exit)} ${during}`);
    }
  }
}

function buildOutcome(
  verdict: GuestVerdict,
  detail: string,
  stages: readonly GuestStage[],
  reached: number,
  runs: number,
  last: VcpuExit | null,
): GuestRunOutcome {
  const current = stages[reached];
  const stage: GuestStageId = current?.id ?? HALT_STAGE.id;
  const exitReason = last === null || last.kind === 'run-error' ? null : last.kind === 'interrupted' ? KVM_EXIT.INTR : last.reason;
  return {
    verdict,
    ok: verdict === 'pass',
    stage,
    stageTitle: current?.title ?? HALT_STAGE.title,
    stagesPassed: stages.slice(0, reached).map((s) => s.id),
    exitReason,
    exitName: exitReason === null ? 'none' : exitReasonName(exitReason),
    suberror: last?.kind === 'internal-error' ? last.suberror : null,
    detail,
    instructionBytes: last?.kind === 'internal-error' && last.instructionBytes ? renderBytes(last.instructionBytes) : null,
    runs,
  };
}
