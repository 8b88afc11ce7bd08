/**
 * The guest-run KVM probe: a VM with one 4 MiB memory slot, one vCPU in 64-bit mode with the
 * host's supported CPUID, the probe code and its page tables, run to `hlt` under a deadline.
 * Every fd, mapping and timer is registered for cleanup the moment it exists and released in
 * reverse order, whatever happens; the VM is private to this call, so real VMs are unaffected.
 */
import { describeError, HostError } from '../../errors.ts';
import { errnoName, MAP_ANONYMOUS, MAP_FAILED, MAP_NORESERVE, MAP_SHARED, O_CLOEXEC, O_RDWR, PROT_READ, PROT_WRITE } from '../libc.ts';
import { CleanupStack } from './cleanup-stack.ts';
import type { DeadlineKick } from './deadline-kick.ts';
import { assembleProgram, GUEST_PROGRAM, GUEST_STAGES, MOVES_PATTERN, type GuestStage, type Instruction } from './guest-code.ts';
import { buildGuestImage, buildInitialRegs, buildLongModeSregs, GUEST_MEMORY_SIZE, PDPT_ADDRESS, PML4_ADDRESS, PTE, SCRATCH_ADDRESS } from './guest-memory.ts';
import type { GuestProbeOptions, GuestProbeResult, GuestRunOutcome } from './guest-probe-result.ts';
import { driveGuest } from './guest-stages.ts';
import * as ioctls from './ioctl-numbers.ts';
import { allocateCpuid2, cpuid2EntryCount, decodeSregs, encodeMemoryRegion, encodeRegs, encodeSregs, SREGS_SIZE } from './kvm-structs.ts';
import type { KvmNative } from './kvm-native.ts';
import { createKvmVcpuDriver } from './vcpu-driver.ts';

/** What the probe runs on: libc (real or fake), the deadline kick and a monotonic clock in ms. */
export interface GuestProbeDeps {
  native: KvmNative;
  kick: DeadlineKick;
  now: () => number;
}

/** Which program to run and which stages it reports; the default is the probe guest. */
export interface GuestProgramChoice {
  program?: readonly Instruction[];
  stages?: readonly GuestStage[];
}

/** Where KVM may put its three real-mode TSS pages: just below 4 GiB, far above the 4 MiB of guest memory (Firecracker's choice). */
const TSS_ADDRESS = 0xfffbd000;
/** Room for KVM_GET_SUPPORTED_CPUID's answer (hosts report about 20-80 entries). */
const CPUID_CAPACITY = 256;
const OPEN_HINT = 'the kvm check explains why the device cannot be opened; fix that first.';
const SETUP_HINT = 'Firecracker issues the same ioctls to set up its vCPUs, so it would fail the same way; check dmesg for KVM messages.';

/** Throws a HostError naming the call, its errno and what it was for. */
function fail(native: KvmNative, call: string, attempted: string, hint = SETUP_HINT): never {
  const errno = errnoName(native.errno());
  throw new HostError({ code: 'HOST_PROBE_FAILED', summary: `${call} failed: ${errno}`, attempted, reason: errno, hint });
}

/** Returns the guest-physical reader's verdict on memory after a pass: null when the guest's writes are as expected. */
export function checkGuestMemory(read: (address: number, length: number) => Buffer): string | null {
  const scratch = read(SCRATCH_ADDRESS, 8).readBigUInt64LE();
  if (scratch !== MOVES_PATTERN) return `the scratch page holds 0x${scratch.toString(16)} instead of the pattern the guest stored`;
  const pml4 = read(PML4_ADDRESS, 16);
  const expected = BigInt(PDPT_ADDRESS) | PTE.PRESENT | PTE.WRITABLE;
  if (pml4.readBigUInt64LE(0) !== expected || pml4.readBigUInt64LE(8) !== 0n) {
    return `the PML4 changed after a cmpxchg16b that should have written back the same values (PML4[0] = 0x${pml4.readBigUInt64LE(0).toString(16)})`;
  }
  return null;
}

/** Runs the probe guest once and returns what it reached; setup failures throw HostError, after cleanup. */
export function runGuestProbeWith(
  deps: GuestProbeDeps,
  devicePath: string,
  options: GuestProbeOptions & GuestProgramChoice,
): GuestProbeResult {
  if (!Number.isFinite(options.timeLimitMs) || options.timeLimitMs <= 0) {
    throw new RangeError(`the guest probe's time limit must be a positive number of milliseconds, got ${options.timeLimitMs}`);
  }
  const { native, kick, now } = deps;
  const started = now();
  const cleanups = new CleanupStack();
  let outcome: GuestRunOutcome | undefined;
  let failure: unknown;
  const ioctl = (fd: number, request: number, arg: number, what: string) => {
    const result = native.ioctl(fd, request, arg);
    return result < 0 ? fail(native, ioctls.ioctlName(request), what) : result;
  };
  const ioctlBuffer = (fd: number, request: number, buf: Buffer, what: string) => {
    if (native.ioctlBuffer(fd, request, buf) < 0) fail(native, ioctls.ioctlName(request), what);
  };
  const map = (length: number, flags: number, fd: number, what: string) => {
    const address = native.mmap(length, PROT_READ | PROT_WRITE, flags, fd, 0);
    if (address === MAP_FAILED) fail(native, 'mmap', what);
    cleanups.push(`munmap ${what}`, () => native.munmap(address, length));
    return address;
  };
  try {
    const kvmFd = native.open(devicePath, O_RDWR | O_CLOEXEC);
    if (kvmFd < 0) fail(native, `open ${devicePath} read-write`, `open(${devicePath}, O_RDWR)`, OPEN_HINT);
    cleanups.push(`close ${devicePath}`, () => native.close(kvmFd));
    // Guest memory first, so that it outlives (is unmapped after) the VM that maps it.
    const memory = map(GUEST_MEMORY_SIZE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 'guest memory');
    for (const write of buildGuestImage(assembleProgram(options.program ?? GUEST_PROGRAM))) {
      native.writeMemory(memory + BigInt(write.address), write.bytes);
    }
    const vmFd = ioctl(kvmFd, ioctls.KVM_CREATE_VM, 0, 'create the probe VM');
    cleanups.push('close the VM fd', () => native.close(vmFd));
    // As Firecracker does: VMX without unrestricted-guest support needs a TSS for the vCPU's reset (real) mode.
    ioctl(vmFd, ioctls.KVM_SET_TSS_ADDR, TSS_ADDRESS, 'place the real-mode TSS outside guest memory');
    const region = { slot: 0, flags: 0, guestPhysAddr: 0n, memorySize: BigInt(GUEST_MEMORY_SIZE), userspaceAddr: memory };
    ioctlBuffer(vmFd, ioctls.KVM_SET_USER_MEMORY_REGION, encodeMemoryRegion(region), 'give the VM its 4 MiB memory slot');
    const vcpuFd = ioctl(vmFd, ioctls.KVM_CREATE_VCPU, 0, 'create vCPU 0');
    cleanups.push('close the vCPU fd', () => native.close(vcpuFd));
    const runSize = ioctl(kvmFd, ioctls.KVM_GET_VCPU_MMAP_SIZE, 0, 'ask the size of the kvm_run area');
    const runAddress = map(runSize, MAP_SHARED, vcpuFd, 'the kvm_run area');
    const cpuid = allocateCpuid2(CPUID_CAPACITY);
    ioctlBuffer(kvmFd, ioctls.KVM_GET_SUPPORTED_CPUID, cpuid, 'read the CPUID entries KVM supports');
    cpuid2EntryCount(cpuid); // throws if the kernel's entry count overran the buffer
    ioctlBuffer(vcpuFd, ioctls.KVM_SET_CPUID2, cpuid, 'give the vCPU the supported CPUID');
    const sregs = Buffer.alloc(SREGS_SIZE);
    ioctlBuffer(vcpuFd, ioctls.KVM_GET_SREGS, sregs, 'read the vCPU reset state');
    ioctlBuffer(vcpuFd, ioctls.KVM_SET_SREGS, encodeSregs(buildLongModeSregs(decodeSregs(sregs))), 'switch the vCPU to 64-bit long mode');
    ioctlBuffer(vcpuFd, ioctls.KVM_SET_REGS, encodeRegs(buildInitialRegs()), 'point rip at the probe code');

    const deadlineAt = started + options.timeLimitMs;
    cleanups.push('disarm the deadline timer', () => kick.disarm());
    kick.arm(Math.max(deadlineAt - now(), 0));
    const driver = createKvmVcpuDriver(native, { fd: vcpuFd, runAddress, runSize });
    outcome = driveGuest(driver, { now, deadlineAt, timeLimitMs: options.timeLimitMs, stages: options.stages ?? GUEST_STAGES });
    kick.disarm();
    if (outcome.ok && !options.program) {
      const wrong = checkGuestMemory((address, length) => native.readMemory(memory + BigInt(address), length));
      if (wrong) outcome = { ...outcome, verdict: 'wrong-result', ok: false, detail: wrong };
    }
  } catch (error) {
    failure = error;
  }
  const leftovers = cleanups.runAll(() => errnoName(native.errno()));
  if (failure !== undefined) throw withCleanupFailures(failure, leftovers);
  if (leftovers.length > 0) {
    throw new HostError({
      code: 'HOST_PROBE_FAILED',
      summary: `cleaning up after the guest probe failed: ${leftovers.join('; ')}`,
      attempted: 'release the probe VM, its vCPU and their mappings',
      reason: leftovers.join('; '),
    });
  }
  return { ...(outcome as GuestRunOutcome), durationMs: now() - started };
}

/** Returns the run's own error, with the cleanup failures (if any) added to its output. */
function withCleanupFailures(error: unknown, leftovers: string[]): unknown {
  if (leftovers.length === 0) return error;
  const cleanup = `cleanup also failed: ${leftovers.join('; ')}`;
  if (!(error instanceof HostError)) {
    return new HostError({ code: 'HOST_PROBE_FAILED', summary: describeError(error), output: cleanup, cause: error });
  }
  return new HostError({
    code: error.code,
    summary: error.summary,
    attempted: error.attempted,
    reason: error.reason,
    output: [error.output, cleanup].filter(Boolean).join('\n'),
    hint: error.hint,
    cause: error,
  });
}
