import type { Check } from '../check.ts';
import { firecrackerCheck } from './firecracker.ts';
import { jailerCheck } from './jailer.ts';
import { kernelCheck } from './kernel.ts';
import { kvmCheck } from './kvm.ts';
import { kvmGuestCheck } from './kvm-guest.ts';
import { netdCheck } from './netd.ts';
import { rootfsCheck } from './rootfs.ts';
import { stateDirCheck } from './state-dir.ts';
import { vsockCheck } from './vsock.ts';

/** Every doctor check, in the order they run (upstream's order, then this project's additions). */
export const allChecks: readonly Check[] = [
  kvmCheck,
  kvmGuestCheck,
  firecrackerCheck,
  jailerCheck,
  kernelCheck,
  rootfsCheck,
  stateDirCheck,
  vsockCheck,
  netdCheck,
];
