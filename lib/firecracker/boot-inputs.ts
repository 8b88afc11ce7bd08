import type { Config } from '../config/index.ts';
import type { BootInputs } from './boot-state.ts';

/** What a boot takes from the configuration; the rest (lab id, marker match, extras) is the caller's. */
export type ConfiguredBootInputs = Omit<BootInputs, 'labId'>;

/**
 * Builds a boot's inputs from the typed configuration: the binary, kernel, rootfs, state dir,
 * machine size, boot args and marker. `overrides` wins (e.g. `--marker` on the command line).
 */
export function bootInputsFromConfig(config: Config, overrides: Partial<ConfiguredBootInputs> = {}): ConfiguredBootInputs {
  return {
    firecrackerBin: config.firecrackerBin,
    kernelPath: config.kernelPath,
    rootfsPath: config.rootfsPath,
    stateDir: config.stateDir,
    vcpuCount: config.vcpuCount,
    memSizeMib: config.memSizeMib,
    bootArgs: config.bootArgs,
    marker: config.helloMarker,
    markerMatch: 'line',
    extraArgs: [],
    ...overrides,
  };
}
