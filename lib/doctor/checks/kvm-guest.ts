import { describeError, HostError } from '../../errors.ts';
import type { GuestProbeResult, GuestVerdict } from '../../host/types.ts';
import type { Check, CheckResult, Severity } from '../check.ts';
import { hintContextOf, type HintContext } from '../hints.ts';
import { failed, passed } from '../verdict.ts';

/** The probe guest needs a few milliseconds; this bounds a vCPU that never comes back. */
export const GUEST_PROBE_TIME_LIMIT_MS = 2000;

/** What a pass says (the wording, kept as is for readers of the JSON). */
export const GUEST_PASS_DETAILS = 'a 64-bit guest ran: page-table writes and cmpxchg16b handled';

const FIRECRACKER_CRASH =
  'Firecracker guests will crash the same way, early in boot, with "KVM internal error. Suberror: 1" (or KVM_EXIT_FAIL_ENTRY) in the Firecracker log.';
const CAUSE =
  'This KVM cannot run a Linux guest: it is nested virtualisation without hardware-assisted paging (no EPT/NPT for the guest), or an emulating nested hypervisor, and it cannot emulate what Linux does to its own page tables.';

/** Returns how severe a verdict is: pass is info, a time or exit limit (perhaps load) warns, every other failure is fatal. */
export function severityOf(verdict: GuestVerdict): Severity {
  if (verdict === 'pass') return 'info';
  return verdict === 'time-limit' || verdict === 'exit-limit' ? 'warn' : 'fatal';
}

/** Remediation for a probe that failed, specific to WSL or not. */
export const guestHints = {
  /** Emulation or entry failure: the host's nested virtualisation cannot run Linux guests. */
  cannotRunGuests: (h: HintContext) =>
    `${CAUSE} ${FIRECRACKER_CRASH} ` +
    (h.wsl
      ? 'On WSL: set "[wsl2]" and "nestedVirtualization=true" in %USERPROFILE%\\.wslconfig (Windows 11 build 22000+), update WSL (`wsl --update`) and run `wsl --shutdown`; if it persists, this Windows host cannot give WSL hardware-assisted nested paging: use a bare-metal Linux host.'
      : 'On a cloud VM: enable nested virtualisation for the instance (an instance type that supports it with hardware-assisted nested paging), or use a bare-metal instance; on your own hypervisor, enable nested virtualisation with EPT/NPT on the outer host (e.g. kvm_intel nested=1 ept=1).'),
  /** Shutdown, an unexpected exit, a wrong result, another internal error, KVM_RUN failing. */
  guestBroken: (h: HintContext) =>
    `KVM could not run a minimal 64-bit guest to the end. ${FIRECRACKER_CRASH} ` +
    'Check `dmesg | grep -i kvm`. ' +
    (h.wsl
      ? 'On WSL: update WSL (`wsl --update`), check nestedVirtualization=true in %USERPROFILE%\\.wslconfig and run `wsl --shutdown`; otherwise use a bare-metal Linux host.'
      : 'If this host is itself a VM, its nested virtualisation is the likely cause: enable hardware-assisted nested virtualisation for it, or use bare metal.'),
  /** A setup ioctl failed and the error brought no hint of its own. */
  setupFailed: (_h: HintContext) =>
    'Firecracker issues the same KVM ioctls to set up its vCPUs and would fail the same way: check `dmesg | grep -i kvm`.',
  /** The guest did not finish in time: load, or a vCPU stuck in the nested hypervisor. */
  tooSlow: (_h: HintContext, limitMs: number) =>
    `The probe guest needs a few milliseconds but did not finish within ${limitMs} ms: run the doctor again on an idle host. If it keeps happening, KVM_RUN stalls in the nested hypervisor and Firecracker guests will hang the same way.`,
};

/** Returns the host facts the probe adds to the report: stage reached, exit reason, suberror, duration. */
export function renderGuestProbeFacts(result: GuestProbeResult): Record<string, string> {
  const facts: Record<string, string> = {
    kvm_guest_verdict: result.verdict,
    kvm_guest_stage: result.stage,
    kvm_guest_stages_passed: result.stagesPassed.join(',') || 'none',
    kvm_guest_exit_reason: result.exitReason === null ? 'none' : `${result.exitName} (${result.exitReason})`,
    kvm_guest_suberror: result.suberror === null ? 'none' : String(result.suberror),
    kvm_guest_duration_ms: result.durationMs.toFixed(1),
  };
  if (result.instructionBytes) facts.kvm_guest_instruction = result.instructionBytes;
  return facts;
}

/** Returns the one-line details of a probe result: the pass sentence, or the stage, exit and suberror of a failure. */
export function renderGuestProbeDetails(result: GuestProbeResult): string {
  const took = `${result.durationMs.toFixed(1)} ms`;
  if (result.ok) return `${GUEST_PASS_DETAILS} (${result.stagesPassed.length} stages, ${result.runs} exits, ${took})`;
  const exit = result.exitReason === null ? 'no exit' : result.exitName + (result.suberror === null ? '' : ` suberror ${result.suberror}`);
  const done = result.stagesPassed.length > 0 ? `after ${result.stagesPassed.join(', ')}` : 'before any stage reported';
  const instruction = result.instructionBytes ? `; bytes KVM fetched at rip: ${result.instructionBytes}` : '';
  return `guest probe failed (${result.verdict}) at stage ${result.stage} (${result.stageTitle}), ${done}: ${exit}; ${result.detail}${instruction} (${took})`;
}

/** Returns the check's verdict on a probe result: info on pass, fatal or warn with a hint otherwise. */
export function judgeGuestProbe(result: GuestProbeResult, h: HintContext, limitMs = GUEST_PROBE_TIME_LIMIT_MS): CheckResult {
  const facts = renderGuestProbeFacts(result);
  const details = renderGuestProbeDetails(result);
  const severity = severityOf(result.verdict);
  if (severity === 'info') return passed(details, facts);
  if (severity === 'warn') return failed('warn', details, guestHints.tooSlow(h, limitMs), facts);
  const hardware = result.verdict === 'emulation-failure' || result.verdict === 'entry-failure';
  return failed('fatal', details, hardware ? guestHints.cannotRunGuests(h) : guestHints.guestBroken(h), facts);
}

/**
 * `kvm_guest`: runs a tiny 64-bit guest (long mode, a store to its own page table, lock
 * cmpxchg16b on it) and fails fatally when KVM cannot run it, as happens under nested
 * virtualisation without hardware-assisted paging, where /dev/kvm opens and KVM_CREATE_VM works.
 */
export const kvmGuestCheck: Check = {
  id: 'kvm_guest',
  title: 'KVM runs a 64-bit guest',
  requires: ['kvm'],
  async run(ctx) {
    const h = hintContextOf(ctx);
    const device = ctx.config.kvmDevice;
    try {
      return judgeGuestProbe(await ctx.host.kvm.runGuestProbe(device, { timeLimitMs: GUEST_PROBE_TIME_LIMIT_MS }), h);
    } catch (error) {
      if (!(error instanceof HostError)) throw error;
      const facts = { kvm_guest_verdict: 'setup-failed', kvm_guest_stage: 'setup', kvm_guest_error: describeError(error) };
      return failed('fatal', `the probe guest could not be set up on ${device}: ${describeError(error)}`, error.hint ?? guestHints.setupFailed(h), facts);
    }
  },
};
