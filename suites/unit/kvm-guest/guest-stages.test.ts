import { describe, expect, it } from 'vitest';
import { exits, FakeClock, FakeVcpu, hang, passingRun, reportsBefore, stageReport, type FakeRunStep } from '../../../fixtures/fake-kvm.ts';
import { GUEST_STAGES, type GuestStageId } from '../../../lib/host/kvm/guest-code.ts';
import { driveGuest } from '../../../lib/host/kvm/guest-stages.ts';
import type { VcpuExit } from '../../../lib/host/kvm/vcpu-exit.ts';

const LIMIT_MS = 2000;

/** Replays `script` through the stage logic with a fake clock starting at 0. */
function drive(script: ReadonlyArray<VcpuExit | FakeRunStep>, maxRuns?: number) {
  const clock = new FakeClock();
  const vcpu = new FakeVcpu(script, clock);
  const outcome = driveGuest(vcpu, { now: clock.now, deadlineAt: LIMIT_MS, timeLimitMs: LIMIT_MS, ...(maxRuns ? { maxRuns } : {}) });
  return { outcome, vcpu };
}

const REPORTING: GuestStageId[] = GUEST_STAGES.map((s) => s.id);

describe('the guest stage logic', () => {
  it('passes when every stage reports its value and the guest then halts', () => {
    const { outcome, vcpu } = drive(passingRun());
    expect(outcome).toMatchObject({
      verdict: 'pass',
      ok: true,
      stage: 'halt',
      stagesPassed: ['long-mode', 'moves', 'page-table-write', 'cmpxchg16b'],
      exitReason: 5,
      exitName: 'KVM_EXIT_HLT',
      suberror: null,
      runs: 5,
    });
    expect(vcpu.remaining).toBe(0);
  });

  it.each(REPORTING)('names stage %s when KVM reports an emulation failure (internal error 17, suberror 1) there', (stage) => {
    const { outcome } = drive([...reportsBefore(stage), exits.emulationFailure(Buffer.from('f0480fc70c2500100000', 'hex'))]);
    expect(outcome).toMatchObject({ verdict: 'emulation-failure', ok: false, stage, exitReason: 17, exitName: 'KVM_EXIT_INTERNAL_ERROR', suberror: 1 });
    expect(outcome.stagesPassed).toEqual(REPORTING.slice(0, REPORTING.indexOf(stage)));
    expect(outcome.detail).toContain(`during stage ${stage}`);
    expect(outcome.instructionBytes).toBe('f0 48 0f c7 0c 25 00 10 00 00');
  });

  it('reports an emulation failure at the final hlt as stage halt, after all four stages', () => {
    const { outcome } = drive([...reportsBefore('halt'), exits.emulationFailure()]);
    expect(outcome).toMatchObject({ verdict: 'emulation-failure', stage: 'halt', stagesPassed: REPORTING, instructionBytes: null });
    expect(outcome.detail).toContain('after the last stage');
  });

  it.each([
    ['an entry failure', exits.failEntry(), 'entry-failure', 9, 'KVM_EXIT_FAIL_ENTRY', 'hardware_entry_failure_reason 0x80000021'],
    ['a shutdown (triple fault)', exits.shutdown(), 'shutdown', 8, 'KVM_EXIT_SHUTDOWN', 'triple-faulted'],
    ['an internal error with another suberror', exits.internalError(3), 'internal-error', 17, 'KVM_EXIT_INTERNAL_ERROR', 'KVM_INTERNAL_ERROR_DELIVERY_EV'],
    ['an MMIO exit', exits.mmio(0x40000000n), 'unexpected-exit', 6, 'KVM_EXIT_MMIO', 'MMIO write at guest-physical 0x40000000'],
    ['an exit the probe does not know', exits.other(29), 'unexpected-exit', 29, 'KVM_EXIT_X86_RDMSR', 'unexpected KVM_EXIT_X86_RDMSR'],
    ['a failed KVM_RUN', exits.runError('EFAULT'), 'run-failed', null, 'none', 'KVM_RUN failed: EFAULT'],
  ] as const)('fails with what happened on %s, at the stage reached', (_name, exit, verdict, reason, exitName, words) => {
    const { outcome } = drive([...reportsBefore('page-table-write'), exit]);
    expect(outcome).toMatchObject({ verdict, ok: false, stage: 'page-table-write', stagesPassed: ['long-mode', 'moves'], exitReason: reason, exitName });
    expect(outcome.suberror).toBe(exit.kind === 'internal-error' ? exit.suberror : null);
    expect(outcome.detail).toContain(words);
  });

  it.each([
    ['a report on the wrong port', exits.out(0x3f8, 2), 'I/O out on port 0x3f8'],
    ['a later stage reporting first', stageReport('cmpxchg16b'), 'I/O out on port 0xe3'],
    ['an I/O read on the stage port', { kind: 'io', reason: 2, direction: 'in', port: 0xe1, size: 1, count: 1, data: Buffer.from([0]) } as VcpuExit, 'I/O in on port 0xe1'],
    ['a two-byte write on the stage port', { kind: 'io', reason: 2, direction: 'out', port: 0xe1, size: 2, count: 1, data: Buffer.from([2, 0]) } as VcpuExit, '2 bytes'],
    ['a halt before the stage reported', exits.hlt(), 'halted during stage moves'],
  ])('treats %s as an unexpected exit during the stage in progress', (_name, exit, words) => {
    const { outcome } = drive([stageReport('long-mode'), exit]);
    expect(outcome).toMatchObject({ verdict: 'unexpected-exit', stage: 'moves', stagesPassed: ['long-mode'] });
    expect(outcome.detail).toContain(words);
  });

  it('fails with wrong-result when a stage reports that its own check failed (value 0)', () => {
    const { outcome } = drive([...reportsBefore('cmpxchg16b'), exits.out(0xe3, 0)]);
    expect(outcome).toMatchObject({ verdict: 'wrong-result', stage: 'cmpxchg16b', exitName: 'KVM_EXIT_IO' });
    expect(outcome.detail).toBe('stage cmpxchg16b reported 0 instead of 4: its own check failed');
  });

  it('stops at the time limit when KVM_RUN hangs until the deadline kick interrupts it', () => {
    const { outcome, vcpu } = drive([stageReport('long-mode'), hang(LIMIT_MS + 5)]);
    expect(outcome).toMatchObject({ verdict: 'time-limit', ok: false, stage: 'moves', stagesPassed: ['long-mode'], exitReason: 10, exitName: 'KVM_EXIT_INTR', runs: 2 });
    expect(outcome.detail).toContain(`did not finish within ${LIMIT_MS} ms`);
    expect(vcpu.remaining).toBe(0);
  });

  it('re-enters the guest after a stray signal interrupts KVM_RUN before the deadline', () => {
    const { outcome } = drive([stageReport('long-mode'), hang(10), exits.interrupted(), ...passingRun().slice(1)]);
    expect(outcome).toMatchObject({ verdict: 'pass', runs: 7 });
  });

  it('gives up with exit-limit when the guest keeps exiting without progress', () => {
    const { outcome } = drive(Array.from({ length: 8 }, () => exits.interrupted()), 8);
    expect(outcome).toMatchObject({ verdict: 'exit-limit', stage: 'long-mode', runs: 8 });
    expect(outcome.detail).toContain('8 KVM_RUN calls without finishing');
  });

  it('does not enter the guest at all when the deadline has already passed', () => {
    const clock = new FakeClock();
    clock.advance(LIMIT_MS);
    const vcpu = new FakeVcpu([], clock);
    const outcome = driveGuest(vcpu, { now: clock.now, deadlineAt: LIMIT_MS, timeLimitMs: LIMIT_MS });
    expect(outcome).toMatchObject({ verdict: 'time-limit', runs: 0, exitReason: null, exitName: 'none' });
  });
});

describe('the fake vCPU', () => {
  it('throws, naming the call, when the logic runs it more often than scripted', () => {
    const vcpu = new FakeVcpu([exits.hlt()]);
    vcpu.run();
    expect(() => vcpu.run()).toThrow('FakeVcpu: unexpected KVM_RUN #2: only 1 exits were scripted');
  });
});
