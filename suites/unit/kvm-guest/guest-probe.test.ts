import { describe, expect, it } from 'vitest';
import { FakeDeadlineKick, FakeKvmLibc, RESET_SREGS, type FakeKvmLibcOptions } from '../../../fixtures/fake-kvm-libc.ts';
import { exits, FakeClock, hang, passingRun, reportsBefore, stageReport, type FakeRunStep } from '../../../fixtures/fake-kvm.ts';
import { HostError } from '../../../lib/errors.ts';
import { assembleProgram, GUEST_PROGRAM, MOVES_PATTERN } from '../../../lib/host/kvm/guest-code.ts';
import { buildLongModeSregs, CODE_ADDRESS, GUEST_MEMORY_SIZE, PML4_ADDRESS, SCRATCH_ADDRESS } from '../../../lib/host/kvm/guest-memory.ts';
import { runGuestProbeWith } from '../../../lib/host/kvm/guest-probe.ts';

const LIMIT_MS = 2000;

const pattern = () => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(MOVES_PATTERN);
  return bytes;
};

/** A passing script in which the guest really stores its pattern on the scratch page, 1 ms per exit. */
function workingGuest(): FakeRunStep[] {
  return passingRun().map((exit, i) => ({
    exit,
    elapseMs: 1,
    ...(i === 1 ? { guestWrites: [{ address: SCRATCH_ADDRESS, bytes: pattern() }] } : {}),
  }));
}

/** Runs the real probe code over the fake libc; returns the libc, kick and either result or error. */
function probe(options: FakeKvmLibcOptions & { kickError?: Error } = {}) {
  const clock = options.clock ?? new FakeClock();
  const libc = new FakeKvmLibc({ ...options, clock });
  const kick = new FakeDeadlineKick(options.kickError);
  try {
    const result = runGuestProbeWith({ native: libc, kick, now: clock.now }, '/dev/kvm', { timeLimitMs: LIMIT_MS });
    return { libc, kick, result, error: undefined };
  } catch (error) {
    return { libc, kick, result: undefined, error };
  }
}

describe('the guest probe over a fake libc', () => {
  it('sets up one VM, one 4 MiB slot and one long-mode vCPU, runs it to a pass and releases everything', () => {
    const { libc, kick, result } = probe({ script: workingGuest() });
    expect(result).toMatchObject({ verdict: 'pass', stage: 'halt', runs: 5, durationMs: 5 });
    expect(libc.region).toEqual({ guestPhysAddr: 0n, memorySize: BigInt(GUEST_MEMORY_SIZE), userspaceAddr: expect.any(BigInt) });
    expect(libc.sregs).toEqual(buildLongModeSregs(RESET_SREGS));
    expect(libc.regs).toMatchObject({ rip: BigInt(CODE_ADDRESS), rflags: 2n });
    expect(libc.cpuidEntries).toBe(2);
    expect(libc.tssAddress).toBe(0xfffbd000);
    const code = assembleProgram(GUEST_PROGRAM);
    expect(libc.guestAtFirstRun!.subarray(CODE_ADDRESS, CODE_ADDRESS + code.length)).toEqual(code);
    expect(libc.guestAtFirstRun!.readBigUInt64LE(PML4_ADDRESS)).toBe(0x2003n);
    expect(kick.armedWith).toEqual([LIMIT_MS]);
    expect(kick.armed).toBe(false);
    expect(libc.openFds()).toEqual([]);
    expect(libc.mappings.size).toBe(0);
  });

  it('turns a pass into wrong-result when guest memory does not hold what the guest stored', () => {
    const { result, libc } = probe({ script: passingRun() });
    expect(result).toMatchObject({ verdict: 'wrong-result', ok: false, stage: 'halt' });
    expect(result!.detail).toContain('the scratch page holds 0x0');
    expect(libc.openFds()).toEqual([]);
  });

  it('reads an emulation failure and the instruction bytes out of the mapped kvm_run area', () => {
    const insn = Buffer.from('f0480fc70c2500100000', 'hex');
    const { result } = probe({ script: [...reportsBefore('cmpxchg16b'), exits.emulationFailure(insn)] });
    expect(result).toMatchObject({ verdict: 'emulation-failure', stage: 'cmpxchg16b', exitReason: 17, suberror: 1, instructionBytes: 'f0 48 0f c7 0c 25 00 10 00 00' });
  });

  it('reports a KVM_RUN errno as run-failed, and EINTR at the deadline as the time limit, disarming the kick', () => {
    expect(probe({ script: [exits.runError('EFAULT')] }).result).toMatchObject({ verdict: 'run-failed', detail: 'KVM_RUN failed: EFAULT during stage long-mode' });
    const { result, kick, libc } = probe({ script: [stageReport('long-mode'), hang(LIMIT_MS + 3)] });
    expect(result).toMatchObject({ verdict: 'time-limit', stage: 'moves', exitName: 'KVM_EXIT_INTR', durationMs: LIMIT_MS + 3 });
    expect(kick.armed).toBe(false);
    expect(libc.openFds()).toEqual([]);
  });

  it.each([
    ['open', 'EACCES', 'open /dev/kvm read-write failed: EACCES'],
    ['mmap-memory', 'ENOMEM', 'mmap failed: ENOMEM'],
    ['KVM_CREATE_VM', 'EBUSY', 'KVM_CREATE_VM failed: EBUSY'],
    ['KVM_SET_TSS_ADDR', 'EEXIST', 'KVM_SET_TSS_ADDR failed: EEXIST'],
    ['KVM_SET_USER_MEMORY_REGION', 'EINVAL', 'KVM_SET_USER_MEMORY_REGION failed: EINVAL'],
    ['KVM_CREATE_VCPU', 'EMFILE', 'KVM_CREATE_VCPU failed: EMFILE'],
    ['KVM_GET_VCPU_MMAP_SIZE', 'EINVAL', 'KVM_GET_VCPU_MMAP_SIZE failed: EINVAL'],
    ['mmap-run', 'ENOMEM', 'mmap failed: ENOMEM'],
    ['KVM_GET_SUPPORTED_CPUID', 'E2BIG', 'KVM_GET_SUPPORTED_CPUID failed: E2BIG'],
    ['KVM_SET_CPUID2', 'EINVAL', 'KVM_SET_CPUID2 failed: EINVAL'],
    ['KVM_GET_SREGS', 'EIO', 'KVM_GET_SREGS failed: EIO'],
    ['KVM_SET_SREGS', 'EINVAL', 'KVM_SET_SREGS failed: EINVAL'],
    ['KVM_SET_REGS', 'EINVAL', 'KVM_SET_REGS failed: EINVAL'],
  ])('when %s fails midway it throws a HostError naming it and the errno, with every fd and mapping released', (call, errno, summary) => {
    const { error, libc, kick } = probe({ script: passingRun(), failures: { [call]: errno } });
    expect(error).toBeInstanceOf(HostError);
    expect((error as HostError).summary).toBe(summary);
    expect((error as HostError).errno).toBe(errno);
    expect((error as HostError).hint).toBeTruthy();
    expect(libc.openFds()).toEqual([]);
    expect(libc.mappings.size).toBe(0);
    expect(libc.calls).not.toContain('KVM_RUN');
    expect(kick.armedWith).toEqual([]);
  });

  it('releases everything and rethrows when the deadline timer cannot be armed', () => {
    const armError = new HostError({ code: 'HOST_PROBE_FAILED', summary: 'timer_create failed: EAGAIN' });
    const { error, libc } = probe({ script: passingRun(), kickError: armError });
    expect(error).toBe(armError);
    expect(libc.openFds()).toEqual([]);
    expect(libc.mappings.size).toBe(0);
  });

  it('still closes every fd when unmapping fails, and reports the cleanup failure instead of a result', () => {
    const { error, libc } = probe({ script: workingGuest(), failures: { munmap: 'EINVAL' } });
    expect((error as HostError).summary).toBe('cleaning up after the guest probe failed: munmap the kvm_run area: EINVAL; munmap guest memory: EINVAL');
    expect(libc.openFds()).toEqual([]);
  });

  it('reports the setup error first and the cleanup failure in its output when both fail', () => {
    const { error } = probe({ script: passingRun(), failures: { KVM_SET_SREGS: 'EINVAL', close: 'EIO' } });
    expect((error as HostError).summary).toBe('KVM_SET_SREGS failed: EINVAL');
    expect((error as HostError).output).toBe('cleanup also failed: close the vCPU fd: EIO; close the VM fd: EIO; close /dev/kvm: EIO');
  });

  it('releases in reverse order: timer, kvm_run, vCPU, VM, guest memory, device', () => {
    const { libc } = probe({ script: workingGuest() });
    const releases = libc.calls.filter((c) => c.startsWith('close') || c.startsWith('munmap'));
    expect(releases).toEqual(['munmap run', 'close vcpu', 'close vm', 'munmap memory', 'close kvm']);
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('refuses a time limit of %s before touching the device', (timeLimitMs) => {
    const libc = new FakeKvmLibc();
    const run = () => runGuestProbeWith({ native: libc, kick: new FakeDeadlineKick(), now: () => 0 }, '/dev/kvm', { timeLimitMs });
    expect(run).toThrow(`the guest probe's time limit must be a positive number of milliseconds, got ${timeLimitMs}`);
    expect(libc.calls).toEqual([]);
  });
});

describe('the fake libc', () => {
  it('throws, naming the call, on an ioctl issued on the wrong kind of fd or on a KVM_RUN nobody scripted', () => {
    const libc = new FakeKvmLibc();
    const fd = libc.open('/dev/kvm', 0);
    expect(() => libc.ioctl(fd, 0xae41, 0)).toThrow('FakeKvmLibc: KVM_CREATE_VCPU on a kvm fd; it belongs on a vm fd');
    const vm = libc.ioctl(fd, 0xae01, 0);
    const vcpu = libc.ioctl(vm, 0xae41, 0);
    expect(() => libc.ioctl(vcpu, 0xae80, 0)).toThrow('FakeKvmLibc: KVM_RUN before the kvm_run area was mapped');
    expect(() => libc.ioctl(fd, 0xae99, 0)).toThrow('FakeKvmLibc: unexpected ioctl ioctl 0xae99 on fd 20');
  });
});
