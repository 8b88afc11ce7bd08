import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createFirecrackerApi } from '../../../lib/firecracker/api-client.ts';
import type { BootInputs } from '../../../lib/firecracker/boot-state.ts';
import { firecrackerArgs, labPaths } from '../../../lib/firecracker/lab-layout.ts';
import { createRealLabFs } from '../../../lib/host/vmm/real-lab-fs.ts';
import { spawnVmm } from '../../../lib/host/vmm/spawn-vmm.ts';

/**
 * The benchmark's baseline: the same boot as the pipeline, waiting the way the upstream shell
 * scripts do — socket checks every 0.1 s (verify_firecracker.sh: 30 × 0.1 s), the serial log
 * re-read every 1 s (octolabctl smoke), and `kill -0` every 0.5 s for the exit (the upstream test
 * framework's wait_process_termination). For comparison only; it is not used by the tool.
 */
export const BASELINE_INTERVALS = { socketMs: 100, markerMs: 1000, exitMs: 500 } as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pollUntil(check: () => Promise<boolean>, intervalMs: number, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`baseline: ${what} did not happen within ${limitMs} ms`);
    await sleep(intervalMs);
  }
}

/** Boots like a shell script; resolves when firecracker has exited 0 and the lab dir is gone. */
export async function pollingBoot(inputs: Omit<BootInputs, 'labId'>): Promise<void> {
  const paths = labPaths(inputs.stateDir, randomUUID());
  const files = createRealLabFs();
  await files.createDir(paths.dir);
  const vmmBox: { pid?: number; stop?: () => Promise<void> } = {};
  try {
    await files.createEmptyFile(paths.log);
    await files.copyRootfs(inputs.rootfsPath!, paths.rootfs);
    const vmm = await spawnVmm({ file: inputs.firecrackerBin, args: firecrackerArgs(paths, inputs.extraArgs), cwd: paths.dir, stdoutPath: paths.serial, stderrPath: paths.stderr, env: inputs.env });
    vmmBox.stop = async () => {
      vmm.killGroup('SIGKILL');
      await vmm.exited;
    };
    await pollUntil(async () => (await fs.lstat(paths.socket).catch(() => null))?.isSocket() === true, BASELINE_INTERVALS.socketMs, 'the API socket');
    const api = createFirecrackerApi({ socketPath: paths.socket });
    try {
      // Like curl right after `[ -S sock ]`: a refused first connection is retried on the next tick.
      await pollUntil(async () => api.describeInstance().then(() => true, () => false), BASELINE_INTERVALS.socketMs, 'the API');
      await api.putLogger({ log_path: paths.log, level: 'Info', show_level: true });
      await api.putMachineConfig({ vcpu_count: inputs.vcpuCount, mem_size_mib: inputs.memSizeMib, smt: false });
      await api.putBootSource({ kernel_image_path: inputs.kernelPath!, boot_args: inputs.bootArgs });
      await api.putDrive({ drive_id: 'rootfs', path_on_host: paths.rootfs, is_root_device: true, is_read_only: false });
      await api.action('InstanceStart');
    } finally {
      await api.close();
    }
    const markerLine = new RegExp(`(^|\\n)${inputs.marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\r?\\n`);
    await pollUntil(async () => markerLine.test(await fs.readFile(paths.serial, 'utf8')), BASELINE_INTERVALS.markerMs, 'the marker');
    await pollUntil(async () => vmm.exit() !== null, BASELINE_INTERVALS.exitMs, 'the exit');
    if (vmm.exit()?.code !== 0) throw new Error(`baseline: firecracker exited ${JSON.stringify(vmm.exit())}`);
  } finally {
    await vmmBox.stop?.();
    await files.removeDir(paths.dir);
  }
}
