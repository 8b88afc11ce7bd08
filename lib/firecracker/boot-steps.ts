import type { BootStep } from './boot-state.ts';
import { apiReadyStep, apiSocketStep, netdStep, prepareStep, rootfsCopyStep, spawnStep } from './steps-lab.ts';
import {
  bootSourceStep,
  guestExitStep,
  instanceStartStep,
  loggerStep,
  machineStep,
  networkStep,
  rootDriveStep,
  runningStep,
  serialMarkerStep,
} from './steps-vm.ts';

/**
 * The hello-VM boot as a named list of steps, and its variants as edits of that list (replace,
 * remove, insert), so a test or a caller changes one step, never a module.
 */

/**
 * The default boot: prepare → spawn → socket → API → configure → start → running → marker → exit 0,
 * with the rootfs copied in the background from the spawn on (firecracker needs it only at rootfs-drive).
 */
export const DEFAULT_BOOT_STEPS: readonly BootStep[] = [
  prepareStep,
  spawnStep,
  rootfsCopyStep,
  apiSocketStep,
  apiReadyStep,
  loggerStep,
  machineStep,
  bootSourceStep,
  rootDriveStep,
  instanceStartStep,
  runningStep,
  serialMarkerStep,
  guestExitStep,
];

/** Returns `steps` with `step` inserted after the step named `after`. */
export function insertAfter(steps: readonly BootStep[], after: string, step: BootStep): BootStep[] {
  const index = steps.findIndex((s) => s.name === after);
  if (index === -1) throw new Error(`no step named "${after}" (steps: ${steps.map((s) => s.name).join(', ')})`);
  return [...steps.slice(0, index + 1), step, ...steps.slice(index + 1)];
}

/** Returns `steps` with the step named `name` replaced by `step`. */
export function replaceStep(steps: readonly BootStep[], name: string, step: BootStep): BootStep[] {
  if (!steps.some((s) => s.name === name)) throw new Error(`no step named "${name}"`);
  return steps.map((s) => (s.name === name ? step : s));
}

/** Returns `steps` without the step named `name`. */
export function removeStep(steps: readonly BootStep[], name: string): BootStep[] {
  if (!steps.some((s) => s.name === name)) throw new Error(`no step named "${name}"`);
  return steps.filter((s) => s.name !== name);
}

/** With a network: a TAP from netd before the spawn, attached as eth0 after the root drive. */
export function withNetwork(steps: readonly BootStep[]): BootStep[] {
  return insertAfter(insertAfter(steps, 'prepare', netdStep), 'rootfs-drive', networkStep);
}

/** KEEP mode: stop once the marker is seen; the VM keeps running. */
export function withoutGuestExit(steps: readonly BootStep[]): BootStep[] {
  return removeStep(steps, 'guest-exit');
}
