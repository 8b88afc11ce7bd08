/**
 * Run time of the guest-run probe next to its baseline, the plain kvm probe (open /dev/kvm,
 * KVM_GET_API_VERSION, KVM_CREATE_VM, close), measured side by side in one process; vitest's
 * summary prints the ratio ("plain kvm probe … N x faster than guest-run probe").
 * Run as root: npx vitest bench --run --project host suites/host/kvm-guest/kvm-guest.bench.ts
 */
import { existsSync } from 'node:fs';
import { bench, describe } from 'vitest';
import { createSignalKick } from '../../../lib/host/kvm/deadline-kick.ts';
import { runGuestProbeWith } from '../../../lib/host/kvm/guest-probe.ts';
import { loadKvmNative } from '../../../lib/host/kvm/kvm-native.ts';
import { probeKvmDevice } from '../../../lib/host/real-kvm.ts';
import { kvmDevice } from '../../support/require-kvm.ts';

const DEVICE = kvmDevice();
const usable = process.geteuid?.() === 0 && existsSync(DEVICE);

describe.skipIf(!usable)('guest-run KVM probe vs the plain kvm probe', () => {
  const native = loadKvmNative();
  const deps = { native, kick: createSignalKick(), now: () => performance.now() };
  let firstVerdict: string | undefined;

  bench(
    'plain kvm probe (open, KVM_GET_API_VERSION, KVM_CREATE_VM)',
    () => {
      if (!probeKvmDevice(native, DEVICE).createVm.ok) throw new Error('KVM_CREATE_VM failed');
    },
    { time: 1000, iterations: 20 },
  );

  bench(
    'guest-run probe (VM, vCPU, 4 MiB, long mode, run to verdict)',
    () => {
      // Every run must reach the same verdict; a flapping probe would make the timing meaningless.
      const { verdict, stage } = runGuestProbeWith(deps, DEVICE, { timeLimitMs: 2000 });
      firstVerdict ??= `${verdict}@${stage}`;
      if (`${verdict}@${stage}` !== firstVerdict) throw new Error(`guest probe flapped: ${firstVerdict} then ${verdict}@${stage}`);
    },
    { time: 1000, iterations: 20 },
  );
});
