import { existsSync } from 'node:fs';
import type { TestContext } from 'vitest';
import { describeError } from '../../lib/errors.ts';
import { createRealKvm } from '../../lib/host/real-kvm.ts';
import { gate, requireRoot } from './require.ts';

/**
 * The device the host suites use, as the doctor reads it: OCTOLAB_KVM_DEVICE, else /dev/kvm. CI
 * points it at a path that does not exist to prove the suites pass or skip on a host without KVM.
 */
export function kvmDevice(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const value = env.OCTOLAB_KVM_DEVICE?.trim();
  return value ? value : '/dev/kvm';
}

/** Why KVM is not usable on this host (null when it is): no device, open fails, or KVM_CREATE_VM fails. */
export async function kvmMissing(device: string = kvmDevice()): Promise<string | null> {
  if (!existsSync(device)) return `${device} does not exist`;
  try {
    const answer = await createRealKvm().probe(device);
    if (!answer.apiVersion.ok) return `KVM_GET_API_VERSION on ${device} failed (${answer.apiVersion.errno})`;
    if (!answer.createVm.ok) return `KVM_CREATE_VM on ${device} failed (${answer.createVm.errno ?? ('skipped' in answer.createVm ? answer.createVm.skipped : 'no errno')})`;
    return null;
  } catch (error) {
    return describeError(error);
  }
}

/**
 * Skips (or fails, when required) unless this process is root and KVM answers: the device opens,
 * KVM_GET_API_VERSION and KVM_CREATE_VM work. A nested KVM passes this even where a guest then dies.
 * Returns the device.
 */
export async function requireKvm(ctx: TestContext): Promise<string> {
  requireRoot(ctx);
  const device = kvmDevice();
  gate(ctx, 'kvm', await kvmMissing(device));
  return device;
}
