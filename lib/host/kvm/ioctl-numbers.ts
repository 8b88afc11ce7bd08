/**
 * KVM ioctl request numbers and exit-reason codes from <linux/kvm.h> (x86_64), computed the way
 * the kernel's _IO/_IOR/_IOW/_IOWR macros do, from the struct sizes in kvm-structs.ts.
 */
import { CPUID2_HEADER_SIZE, MEMORY_REGION_SIZE, REGS_SIZE, SREGS_SIZE } from './kvm-structs.ts';

/** The ioctl "type" byte of every KVM request. */
export const KVMIO = 0xae;

const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;

/** Returns _IOC(dir, type, nr, size): dir in bits 30-31, size in 16-29, type in 8-15, nr in 0-7. */
export function ioc(direction: number, type: number, nr: number, size: number): number {
  if (size < 0 || size >= 1 << 14) throw new RangeError(`ioctl argument size ${size} does not fit in 14 bits`);
  return ((direction << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

/** _IO(KVMIO, nr): no argument struct. */
export const kvmIo = (nr: number): number => ioc(IOC_NONE, KVMIO, nr, 0);
/** _IOR(KVMIO, nr, size): the kernel fills the struct. */
export const kvmIor = (nr: number, size: number): number => ioc(IOC_READ, KVMIO, nr, size);
/** _IOW(KVMIO, nr, size): the kernel reads the struct. */
export const kvmIow = (nr: number, size: number): number => ioc(IOC_WRITE, KVMIO, nr, size);
/** _IOWR(KVMIO, nr, size): both. */
export const kvmIowr = (nr: number, size: number): number => ioc(IOC_READ | IOC_WRITE, KVMIO, nr, size);

// System ioctls (on the /dev/kvm fd).
/** _IO(KVMIO, 0x00) = 0xAE00. */
export const KVM_GET_API_VERSION = kvmIo(0x00);
/** _IO(KVMIO, 0x01) = 0xAE01. */
export const KVM_CREATE_VM = kvmIo(0x01);
/** _IO(KVMIO, 0x04) = 0xAE04: size of the kvm_run area to mmap from a vCPU fd. */
export const KVM_GET_VCPU_MMAP_SIZE = kvmIo(0x04);
/** _IOWR(KVMIO, 0x05, struct kvm_cpuid2 [8 bytes]) = 0xC008AE05. */
export const KVM_GET_SUPPORTED_CPUID = kvmIowr(0x05, CPUID2_HEADER_SIZE);

// VM ioctls (on the VM fd).
/** _IO(KVMIO, 0x41) = 0xAE41: argument is the vCPU id. */
export const KVM_CREATE_VCPU = kvmIo(0x41);
/** _IOW(KVMIO, 0x46, struct kvm_userspace_memory_region [32 bytes]) = 0x4020AE46. */
export const KVM_SET_USER_MEMORY_REGION = kvmIow(0x46, MEMORY_REGION_SIZE);
/** _IO(KVMIO, 0x47) = 0xAE47: argument is the guest-physical address of three pages for VMX's real-mode TSS. */
export const KVM_SET_TSS_ADDR = kvmIo(0x47);

// vCPU ioctls (on the vCPU fd).
/** _IO(KVMIO, 0x80) = 0xAE80. */
export const KVM_RUN = kvmIo(0x80);
/** _IOW(KVMIO, 0x82, struct kvm_regs [144 bytes]) = 0x4090AE82. */
export const KVM_SET_REGS = kvmIow(0x82, REGS_SIZE);
/** _IOR(KVMIO, 0x83, struct kvm_sregs [312 bytes]) = 0x8138AE83. */
export const KVM_GET_SREGS = kvmIor(0x83, SREGS_SIZE);
/** _IOW(KVMIO, 0x84, struct kvm_sregs [312 bytes]) = 0x4138AE84. */
export const KVM_SET_SREGS = kvmIow(0x84, SREGS_SIZE);
/** _IOW(KVMIO, 0x90, struct kvm_cpuid2 [8 bytes]) = 0x4008AE90. */
export const KVM_SET_CPUID2 = kvmIow(0x90, CPUID2_HEADER_SIZE);

/** The ioctl names by request number, for messages. */
export const IOCTL_NAMES: ReadonlyMap<number, string> = new Map([
  [KVM_GET_API_VERSION, 'KVM_GET_API_VERSION'],
  [KVM_CREATE_VM, 'KVM_CREATE_VM'],
  [KVM_GET_VCPU_MMAP_SIZE, 'KVM_GET_VCPU_MMAP_SIZE'],
  [KVM_GET_SUPPORTED_CPUID, 'KVM_GET_SUPPORTED_CPUID'],
  [KVM_CREATE_VCPU, 'KVM_CREATE_VCPU'],
  [KVM_SET_USER_MEMORY_REGION, 'KVM_SET_USER_MEMORY_REGION'],
  [KVM_SET_TSS_ADDR, 'KVM_SET_TSS_ADDR'],
  [KVM_RUN, 'KVM_RUN'],
  [KVM_SET_REGS, 'KVM_SET_REGS'],
  [KVM_GET_SREGS, 'KVM_GET_SREGS'],
  [KVM_SET_SREGS, 'KVM_SET_SREGS'],
  [KVM_SET_CPUID2, 'KVM_SET_CPUID2'],
]);

/** kvm_run.exit_reason values the probe tells apart (the rest are named by number). */
export const KVM_EXIT = {
  UNKNOWN: 0,
  EXCEPTION: 1,
  IO: 2,
  HYPERCALL: 3,
  DEBUG: 4,
  HLT: 5,
  MMIO: 6,
  IRQ_WINDOW_OPEN: 7,
  SHUTDOWN: 8,
  FAIL_ENTRY: 9,
  INTR: 10,
  SET_TPR: 11,
  TPR_ACCESS: 12,
  NMI: 16,
  INTERNAL_ERROR: 17,
  SYSTEM_EVENT: 24,
  X86_RDMSR: 29,
  X86_WRMSR: 30,
} as const;

/** kvm_run.internal.suberror values (KVM_INTERNAL_ERROR_*). */
export const KVM_INTERNAL_ERROR = {
  EMULATION: 1,
  SIMUL_EX: 2,
  DELIVERY_EV: 3,
  UNEXPECTED_EXIT_REASON: 4,
} as const;

const exitNames = new Map<number, string>(Object.entries(KVM_EXIT).map(([name, code]) => [code, `KVM_EXIT_${name}`]));
const suberrorNames = new Map<number, string>(
  Object.entries(KVM_INTERNAL_ERROR).map(([name, code]) => [code, `KVM_INTERNAL_ERROR_${name}`]),
);

/** Returns the <linux/kvm.h> name of an exit reason (KVM_EXIT_HLT), or KVM_EXIT_<n> for others. */
export function exitReasonName(code: number): string {
  return exitNames.get(code) ?? `KVM_EXIT_${code}`;
}

/** Returns the name of an internal-error suberror (KVM_INTERNAL_ERROR_EMULATION), or its number. */
export function suberrorName(code: number): string {
  return suberrorNames.get(code) ?? `suberror ${code}`;
}

/** Returns the name of a KVM ioctl request, or its hex value. */
export function ioctlName(request: number): string {
  return IOCTL_NAMES.get(request) ?? `ioctl 0x${request.toString(16)}`;
}
