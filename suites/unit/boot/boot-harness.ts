import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { afterAll, beforeAll } from 'vitest';
import type { BootOptions } from '../../../lib/firecracker/boot-pipeline.ts';
import { FAKE_FIRECRACKER_BIN, writeFakeImages, type FakeImages } from '../../../fixtures/fake-firecracker/index.ts';

/** A private state dir and a kernel/rootfs pair the fake accepts. */
export interface BootSandbox {
  root: string;
  stateDir: string;
  images: FakeImages;
  cleanup(): Promise<void>;
}

/** Creates a sandbox under the system temp dir (short paths: the API socket path must fit 107 bytes). */
export async function createBootSandbox(): Promise<BootSandbox> {
  const { path: root, cleanup } = await tmpDir({ unsafeCleanup: true, prefix: 'fcb-' });
  const stateDir = path.join(root, 'state');
  await fs.mkdir(stateDir);
  const images = await writeFakeImages(root);
  return { root, stateDir, images, cleanup };
}

/** Creates one sandbox for the file (beforeAll) and removes it (afterAll); returns a getter for it. */
export function useBootSandbox(): () => BootSandbox {
  let sandbox: BootSandbox | undefined;
  beforeAll(async () => {
    sandbox = await createBootSandbox();
  }, 60_000);
  afterAll(async () => {
    await sandbox?.cleanup();
  }, 60_000);
  return () => {
    if (!sandbox) throw new Error('the boot sandbox is made in beforeAll: use it inside a test');
    return sandbox;
  };
}

/** The environment of a `boot` by the real launcher against the fake in `sandbox` (nothing inherited but PATH). */
export function fakeBootEnv(sandbox: BootSandbox, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    OCTOLAB_FIRECRACKER_BIN: FAKE_FIRECRACKER_BIN,
    OCTOLAB_MICROVM_KERNEL_PATH: sandbox.images.kernel,
    OCTOLAB_MICROVM_ROOTFS_BASE_PATH: sandbox.images.rootfs,
    OCTOLAB_MICROVM_STATE_DIR: sandbox.stateDir,
    NO_COLOR: '1',
    ...extra,
  };
}

/** Boot inputs that point at the fake; `fakeArgs` go after `--` (real firecracker ignores them). */
export function fakeInputs(sandbox: BootSandbox, fakeArgs: readonly string[] = [], overrides: Partial<BootOptions['inputs']> = {}): BootOptions['inputs'] {
  return {
    firecrackerBin: FAKE_FIRECRACKER_BIN,
    kernelPath: sandbox.images.kernel,
    rootfsPath: sandbox.images.rootfs,
    stateDir: sandbox.stateDir,
    vcpuCount: 1,
    memSizeMib: 128,
    bootArgs: 'console=ttyS0 reboot=k panic=1 pci=off',
    marker: 'Hello, World!',
    markerMatch: 'line',
    extraArgs: fakeArgs.length > 0 ? ['--', ...fakeArgs] : [],
    ...overrides,
  };
}

/** Pids of live processes whose command line contains `text` (e.g. a lab's `--id`). */
export async function processesWith(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8');
      const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8');
      // A zombie is dead: it only waits to be reaped.
      if (cmdline.includes(text) && !/\) Z /.test(stat)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Everything a boot may leave behind, described; [] means zero residue. */
export async function residueOf(stateDir: string, labId?: string): Promise<string[]> {
  const problems: string[] = [];
  const entries = await fs.readdir(stateDir);
  for (const entry of entries) problems.push(`state dir still holds ${entry}`);
  if (labId) {
    const pids = await processesWith(`lab-${labId}`);
    if (pids.length > 0) problems.push(`firecracker for lab ${labId} still runs: pids ${pids.join(', ')}`);
  }
  return problems;
}
