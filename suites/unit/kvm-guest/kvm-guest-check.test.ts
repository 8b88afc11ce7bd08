import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../../fixtures/fake-host.ts';
import { exits, FakeClock, FakeVcpu, hang, passingRun, reportsBefore, stageReport, type FakeRunStep } from '../../../fixtures/fake-kvm.ts';
import { loadConfig } from '../../../lib/config/index.ts';
import type { CheckContext } from '../../../lib/doctor/check.ts';
import { allChecks } from '../../../lib/doctor/checks/index.ts';
import { GUEST_PASS_DETAILS, kvmGuestCheck, renderGuestProbeDetails } from '../../../lib/doctor/checks/kvm-guest.ts';
import { HostError } from '../../../lib/errors.ts';
import { driveGuest } from '../../../lib/host/kvm/guest-stages.ts';
import type { GuestProbeResult } from '../../../lib/host/types.ts';
import type { VcpuExit } from '../../../lib/host/kvm/vcpu-exit.ts';

/** What the probe would return for a replayed exit sequence, with a fixed duration. */
function resultOf(script: ReadonlyArray<VcpuExit | FakeRunStep>, durationMs = 3.25): GuestProbeResult {
  const clock = new FakeClock();
  return { ...driveGuest(new FakeVcpu(script, clock), { now: clock.now, deadlineAt: 2000, timeLimitMs: 2000 }), durationMs };
}

async function runCheck(answer: GuestProbeResult | Error, wsl = false) {
  const host = new FakeHost().withGuestProbe(answer);
  const { config } = await loadConfig({ env: {}, fs: host.fs, cwd: '/repo' });
  const ctx: CheckContext = {
    host,
    config,
    wsl: wsl ? { wsl: true, evidence: 'WSL_DISTRO_NAME is set' } : { wsl: false, evidence: null },
    identity: host.identity,
    results: new Map([['kvm', { ok: true, severity: 'info', details: 'ok', hint: '' }]]),
  };
  return { result: await kvmGuestCheck.run(ctx), host };
}

const emulationAtCmpxchg = () => resultOf([...reportsBefore('cmpxchg16b'), exits.emulationFailure(Buffer.from('f0480fc70c2500100000', 'hex'))]);

describe('the kvm_guest check', () => {
  it('runs after kvm, requires it, and sits right after it in the doctor list', () => {
    expect(kvmGuestCheck).toMatchObject({ id: 'kvm_guest', requires: ['kvm'] });
    const ids = allChecks.map((c) => c.id);
    expect(ids.indexOf('kvm_guest')).toBe(ids.indexOf('kvm') + 1);
  });

  it('passes with info and the pass sentence when the guest ran every stage, probing the configured device with a time limit', async () => {
    const { result, host } = await runCheck(resultOf(passingRun()));
    expect(result).toMatchObject({ ok: true, severity: 'info', hint: '' });
    expect(result.details).toBe(`${GUEST_PASS_DETAILS} (4 stages, 5 exits, 3.3 ms)`);
    expect(result.facts).toEqual({
      kvm_guest_verdict: 'pass',
      kvm_guest_stage: 'halt',
      kvm_guest_stages_passed: 'long-mode,moves,page-table-write,cmpxchg16b',
      kvm_guest_exit_reason: 'KVM_EXIT_HLT (5)',
      kvm_guest_suberror: 'none',
      kvm_guest_duration_ms: '3.3',
    });
    expect(host.calls).toEqual(['kvm guest probe /dev/kvm 2000ms']);
  });

  it('is fatal on an emulation failure, naming the stage, exit reason and suberror, and facts carry them', async () => {
    const { result } = await runCheck(emulationAtCmpxchg());
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toBe(
      'guest probe failed (emulation-failure) at stage cmpxchg16b (lock cmpxchg16b on the page-table page), after long-mode, moves, page-table-write: ' +
        'KVM_EXIT_INTERNAL_ERROR suberror 1; KVM could not emulate an instruction during stage cmpxchg16b (KVM_EXIT_INTERNAL_ERROR, KVM_INTERNAL_ERROR_EMULATION); ' +
        'bytes KVM fetched at rip: f0 48 0f c7 0c 25 00 10 00 00 (3.3 ms)',
    );
    expect(result.facts).toMatchObject({
      kvm_guest_verdict: 'emulation-failure',
      kvm_guest_stage: 'cmpxchg16b',
      kvm_guest_exit_reason: 'KVM_EXIT_INTERNAL_ERROR (17)',
      kvm_guest_suberror: '1',
      kvm_guest_instruction: 'f0 48 0f c7 0c 25 00 10 00 00',
    });
  });

  it.each([
    ['an emulation failure', emulationAtCmpxchg()],
    ['an entry failure', resultOf([exits.failEntry()])],
  ])('names the cause and the Firecracker crash in the hint for %s, off WSL: cloud nested virtualisation or bare metal', async (_name, answer) => {
    const { result } = await runCheck(answer);
    expect(result.severity).toBe('fatal');
    expect(result.hint).toContain('nested virtualisation without hardware-assisted paging');
    expect(result.hint).toContain('emulating nested hypervisor');
    expect(result.hint).toContain('"KVM internal error');
    expect(result.hint).toContain('enable nested virtualisation for the instance');
    expect(result.hint).toContain('bare-metal');
    expect(result.hint).not.toContain('wslconfig');
  });

  it('on WSL, points the same failure at nestedVirtualization in .wslconfig', async () => {
    const { result } = await runCheck(emulationAtCmpxchg(), true);
    expect(result.hint).toContain('nestedVirtualization=true');
    expect(result.hint).toContain('wsl --shutdown');
    expect(result.hint).toContain('"KVM internal error');
    expect(result.hint).not.toContain('instance type');
  });

  it.each([
    ['shutdown', resultOf([stageReport('long-mode'), exits.shutdown()]), 'KVM_EXIT_SHUTDOWN'],
    ['unexpected-exit', resultOf([exits.out(0x80, 1)]), 'KVM_EXIT_IO'],
    ['wrong-result', resultOf([...reportsBefore('moves'), exits.out(0xe1, 0)]), 'KVM_EXIT_IO'],
    ['internal-error', resultOf([exits.internalError(3)]), 'KVM_EXIT_INTERNAL_ERROR suberror 3'],
    ['run-failed', resultOf([exits.runError('EFAULT')]), 'no exit'],
  ])('is fatal with the generic hint when the guest ends in %s', async (verdict, answer, exitWords) => {
    const { result } = await runCheck(answer);
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toContain(`(${verdict})`);
    expect(result.details).toContain(exitWords);
    expect(result.hint).toContain('KVM could not run a minimal 64-bit guest to the end');
    expect(result.hint).toContain('"KVM internal error');
  });

  it('only warns when the guest hit the time limit, which load alone can cause', async () => {
    const { result } = await runCheck(resultOf([stageReport('long-mode'), hang(2500)], 2001));
    expect(result).toMatchObject({ ok: false, severity: 'warn' });
    expect(result.details).toContain('(time-limit) at stage moves');
    expect(result.hint).toContain('run the doctor again on an idle host');
    expect(result.facts).toMatchObject({ kvm_guest_verdict: 'time-limit', kvm_guest_exit_reason: 'KVM_EXIT_INTR (10)' });
  });

  it('turns a setup HostError into a fatal result with the failing ioctl, errno and its hint, at stage setup', async () => {
    const error = new HostError({ code: 'HOST_PROBE_FAILED', summary: 'KVM_SET_SREGS failed: EINVAL', reason: 'EINVAL', hint: 'Firecracker issues the same ioctls.' });
    const { result } = await runCheck(error);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', hint: 'Firecracker issues the same ioctls.' });
    expect(result.details).toBe('the probe guest could not be set up on /dev/kvm: KVM_SET_SREGS failed: EINVAL');
    expect(result.facts).toEqual({ kvm_guest_verdict: 'setup-failed', kvm_guest_stage: 'setup', kvm_guest_error: 'KVM_SET_SREGS failed: EINVAL' });
  });

  it('lets anything that is not a HostError through, for the doctor to report as a crashed check', async () => {
    await expect(runCheck(new TypeError('bug'))).rejects.toThrow('bug');
  });

  it('renders a failure before any stage as such', () => {
    expect(renderGuestProbeDetails(resultOf([exits.failEntry(0x80000021n)], 1))).toBe(
      'guest probe failed (entry-failure) at stage long-mode (enter 64-bit mode and run a first instruction), before any stage reported: ' +
        'KVM_EXIT_FAIL_ENTRY; the CPU refused to enter the guest during stage long-mode (KVM_EXIT_FAIL_ENTRY, hardware_entry_failure_reason 0x80000021) (1.0 ms)',
    );
  });
});
