import { HostError } from '../errors.ts';
import type { HostKvm, KvmProbeResult } from './types.ts';
import { errnoName, loadLibc, O_CLOEXEC, O_RDWR, type Libc } from './libc.ts';

/** ioctl request numbers from <linux/kvm.h> (KVMIO = 0xAE, _IO(KVMIO, n)). */
export const KVM_GET_API_VERSION = 0xae00;
export const KVM_CREATE_VM = 0xae01;

/** Opens the device read-write, then asks KVM_GET_API_VERSION and KVM_CREATE_VM; closes every fd it opened. */
export function probeKvmDevice(libc: Libc, devicePath: string): KvmProbeResult {
  const fd = libc.open(devicePath, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const errno = errnoName(libc.errno());
    throw new HostError({
      code: 'HOST_PROBE_FAILED',
      summary: `open ${devicePath} read-write failed: ${errno}`,
      attempted: `open(${devicePath}, O_RDWR)`,
      reason: errno,
    });
  }
  try {
    const version = libc.ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version < 0) {
      return {
        apiVersion: { ok: false, errno: errnoName(libc.errno()) },
        createVm: { ok: false, errno: null, skipped: 'KVM_GET_API_VERSION failed' },
      };
    }
    const vmFd = libc.ioctl(fd, KVM_CREATE_VM, 0);
    if (vmFd < 0) return { apiVersion: { ok: true, version }, createVm: { ok: false, errno: errnoName(libc.errno()) } };
    libc.close(vmFd);
    return { apiVersion: { ok: true, version }, createVm: { ok: true } };
  } finally {
    libc.close(fd);
  }
}

/** The real KVM probes (device + ioctls, and the guest run), through koffi's libc bindings. */
export function createRealKvm(): HostKvm {
  return {
    async probe(devicePath) {
      return probeKvmDevice(loadLibc(), devicePath);
    },
    async runGuestProbe(devicePath, options) {
      // Loaded here, not at import: the guest probe's FFI bindings cost start-up time to every command.
      const [{ createSignalKick }, { runGuestProbeWith }, { loadKvmNative }] = await Promise.all([
        import('./kvm/deadline-kick.ts'),
        import('./kvm/guest-probe.ts'),
        import('./kvm/kvm-native.ts'),
      ]);
      const deps = { native: loadKvmNative(), kick: createSignalKick(), now: () => performance.now() };
      return runGuestProbeWith(deps, devicePath, options);
    },
  };
}
