import { errnoName } from '../libc.ts';
import { KVM_RUN } from './ioctl-numbers.ts';
import type { KvmNative } from './kvm-native.ts';
import { decodeRunArea, RUN_HEADER_BYTES, type VcpuDriver } from './vcpu-exit.ts';

/** Where a vCPU lives: its fd and its mmapped kvm_run area. */
export interface VcpuHandle {
  fd: number;
  runAddress: bigint;
  runSize: number;
}

/**
 * Returns the real VcpuDriver: each run() is one KVM_RUN on the vCPU fd, then a copy of kvm_run's
 * header (and of the I/O data it points at) decoded into a VcpuExit. EINTR becomes `interrupted`;
 * any other errno becomes `run-error`, which the stage logic reports.
 */
export function createKvmVcpuDriver(native: KvmNative, vcpu: VcpuHandle): VcpuDriver {
  const read = (offset: number, length: number) => native.readMemory(vcpu.runAddress + BigInt(offset), length);
  return {
    run() {
      if (native.ioctl(vcpu.fd, KVM_RUN, 0) < 0) {
        const errno = errnoName(native.errno());
        return errno === 'EINTR' ? { kind: 'interrupted' } : { kind: 'run-error', errno };
      }
      return decodeRunArea(read(0, Math.min(RUN_HEADER_BYTES, vcpu.runSize)), vcpu.runSize, read);
    },
  };
}
