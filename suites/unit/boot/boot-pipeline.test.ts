import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootMicroVm, type BootOptions } from '../../../lib/firecracker/boot-pipeline.ts';
import type { BootResult } from '../../../lib/firecracker/boot-result.ts';
import { insertAfter, removeStep, replaceStep } from '../../../lib/firecracker/boot-steps.ts';
import type { LabFs } from '../../../lib/firecracker/lab-fs.ts';
import { StepStopped } from '../../../lib/firecracker/run-steps.ts';
import { rootfsCopyStep } from '../../../lib/firecracker/steps-lab.ts';
import { createRealLabFs } from '../../../lib/host/vmm/real-lab-fs.ts';
import { FakeNetdLease } from '../../../fixtures/fake-netd-lease.ts';
import { fakeInputs, processesWith, residueOf, useBootSandbox } from './boot-harness.ts';

const sandbox = useBootSandbox();

const boot = (fakeArgs: readonly string[] = [], options: Partial<BootOptions> = {}) =>
  bootMicroVm({ inputs: fakeInputs(sandbox(), fakeArgs), budgetMs: 30_000, ...options });

const statusOf = (result: BootResult, stage: string) => result.stages.find((s) => s.name === stage)?.status;

/** A LabFs whose rootfs copy never finishes by itself: it ends only when its signal fires, with the signal's reason. */
function hungCopy(seen: unknown[] = []): LabFs {
  return {
    ...createRealLabFs(),
    copyRootfs: (_source, _target, signal) => new Promise((_, reject) => signal!.addEventListener('abort', () => reject(seen[seen.push(signal!.reason) - 1]), { once: true })),
  };
}

const ALL_STAGES = ['prepare', 'spawn', 'rootfs-copy', 'api-socket', 'api-ready', 'logger', 'machine', 'boot-source', 'rootfs-drive', 'instance-start', 'running', 'serial-marker', 'guest-exit'];

describe('bootMicroVm against FakeFirecracker', { timeout: 60_000 }, () => {
  it('passes every stage, sees the marker line, sees exit 0, and leaves nothing behind', async () => {
    const result = await boot();
    expect(result.ok).toBe(true);
    expect(result.stages.map((s) => [s.name, s.status])).toEqual(ALL_STAGES.map((name) => [name, 'passed']));
    expect(result.markerLine?.text).toBe('Hello, World!');
    expect(result).toMatchObject({ exit: { code: 0, signal: null }, firecrackerVersion: '1.7.0', failedStage: null, error: null, kept: false, cleanupErrors: [] });
    expect(result.serialLogPath).toBe(path.join(result.labDir, 'serial.log'));
    // The copy runs while firecracker starts: it begins before the wait for the socket, and the drive is attached after it ended.
    const at = (name: string) => result.stages.find((s) => s.name === name)!;
    expect(at('rootfs-copy').startMs!).toBeLessThanOrEqual(at('api-socket').startMs!);
    expect(at('rootfs-drive').startMs!).toBeGreaterThanOrEqual(at('rootfs-copy').startMs! + at('rootfs-copy').ms);
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });

  it.each([
    [['split-output'], 'output cut at awkward byte boundaries'],
    [['crlf'], 'CRLF line ends'],
    [['split-output,crlf'], 'both'],
  ])('finds the marker with %j (%s)', async (modes) => {
    const result = await boot(['--fake-mode', modes[0]!]);
    expect(result.ok).toBe(true);
    expect(result.markerLine?.text).toBe('Hello, World!');
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });

  it.each([
    ['crash-at-start', 30_000, 'api-socket', 'BOOT_STAGE_FAILED', /firecracker exited \(code 148\) while waiting for its API socket/],
    ['no-socket', 2_500, 'api-socket', 'BOOT_STAGE_TIMEOUT', /"api-socket" \(wait for the API socket\) timed out after \d+ ms \(the rest of the total budget/],
    ['api-hang', 3_000, 'api-ready', 'BOOT_STAGE_TIMEOUT', /"api-ready" \(API answers\) timed out/],
    ['kvm-denied', 30_000, 'instance-start', 'BOOT_STAGE_FAILED', /PUT \/actions answered 400: Start microvm error: .*Error creating KVM object/],
    ['panic', 30_000, 'serial-marker', 'BOOT_STAGE_FAILED', /exited \(code 0\) before the serial line "Hello, World!" appeared: the guest kernel panicked/],
    ['no-marker', 30_000, 'serial-marker', 'BOOT_STAGE_FAILED', /the guest never printed "Hello, World!"/],
    ['marker-in-cmdline', 30_000, 'serial-marker', 'BOOT_STAGE_FAILED', /appeared only inside a longer line \(serial line \d+: "\[\s+[\d.]+\] Command line: /],
    ['partial-marker', 30_000, 'serial-marker', 'BOOT_STAGE_FAILED', /appeared only inside a longer line \(serial line \d+: "Hello, World!\[/],
    ['hold', 3_000, 'guest-exit', 'BOOT_STAGE_TIMEOUT', /"guest-exit" .* timed out/],
  ])('in mode %s (budget %i ms) fails at %s with %s and zero residue', async (mode, budgetMs, stage, code, summary) => {
    const result = await boot(['--fake-mode', mode], { budgetMs });
    expect(result.ok).toBe(false);
    expect(result.failedStage).toBe(stage);
    expect(result.error).toMatchObject({ code, stage });
    expect(result.error!.summary).toMatch(summary);
    expect(result.hint).toBeTruthy();
    expect(result.stages.find((s) => s.name === stage)?.status).toBe('failed');
    expect(result.serialTail).toMatch(/Running Firecracker v1\.7\.0/);
    expect(result.error!.message).toContain('serial (last lines):');
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });

  it('explains a silent console when the boot args lack console=ttyS0', async () => {
    const result = await bootMicroVm({ inputs: fakeInputs(sandbox(), [], { bootArgs: 'reboot=k panic=1 pci=off' }), budgetMs: 30_000 });
    expect(result.failedStage).toBe('serial-marker');
    expect(result.hint).toMatch(/lack console=ttyS0/);
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });

  it('is a list of steps: without the root drive the fake guest cannot mount root and panics', async () => {
    const result = await boot([], { editSteps: (steps) => removeStep(steps, 'rootfs-drive') });
    expect(result.failedStage).toBe('serial-marker');
    expect(result.error!.summary).toMatch(/VFS: Unable to mount root fs/);
    expect(result.logTail).toMatch(/Put request on "\/actions"/);
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });

  it('fails at spawn with VMM_SPAWN_FAILED for a binary that does not exist', async () => {
    const result = await bootMicroVm({ inputs: fakeInputs(sandbox(), [], { firecrackerBin: path.join(sandbox().root, 'no-firecracker') }), budgetMs: 30_000 });
    expect(result).toMatchObject({ failedStage: 'spawn', error: { code: 'BOOT_STAGE_FAILED' } });
    expect(result.error!.summary).toMatch(/cannot start .*no-firecracker: ENOENT/);
    expect(result.hint).toMatch(/OCTOLAB_FIRECRACKER_BIN/);
    expect(await residueOf(sandbox().stateDir)).toEqual([]);
  });

  it.each([
    [{ kernelPath: null }, /OCTOLAB_MICROVM_KERNEL_PATH is not set/],
    [{ rootfsPath: '/nonexistent/rootfs.ext4' }, /rootfs \/nonexistent\/rootfs\.ext4 cannot be used: ENOENT/],
    [{ stateDir: '/nonexistent-state-dir' }, /cannot create the lab directory \/nonexistent-state-dir\/lab_.*: ENOENT/],
  ])('fails at prepare for %j without creating anything', async (overrides, summary) => {
    const result = await bootMicroVm({ inputs: fakeInputs(sandbox(), [], overrides), budgetMs: 30_000 });
    expect(result.failedStage).toBe('prepare');
    expect(result.error!.summary).toMatch(summary);
    expect(result.stages.filter((s) => s.status === 'not-run')).toHaveLength(ALL_STAGES.length - 1);
    expect(await residueOf(sandbox().stateDir)).toEqual([]);
  });

  it('removes the lab dir when the rootfs copy fails mid-way, and stops the wait for the socket running beside it', async () => {
    const files = { ...createRealLabFs(), copyRootfs: async () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })) };
    const result = await boot([], { files });
    expect(result.failedStage).toBe('rootfs-copy');
    expect(result.error!.summary).toMatch(/ENOSPC/);
    expect(statusOf(result, 'rootfs-copy')).toBe('failed');
    expect(statusOf(result, 'api-socket')).toBe('stopped');
    expect(statusOf(result, 'api-ready')).toBe('not-run');
    expect(await residueOf(sandbox().stateDir)).toEqual([]);
  });

  it('times out a rootfs copy that hangs at its own limit, whatever stage is in line, and leaves nothing', async () => {
    const result = await boot([], { files: hungCopy(), editSteps: (steps) => replaceStep(steps, 'rootfs-copy', { ...rootfsCopyStep, timeoutMs: 300 }) });
    expect(result).toMatchObject({ failedStage: 'rootfs-copy', error: { code: 'BOOT_STAGE_TIMEOUT' } });
    expect(result.error!.summary).toMatch(/^boot stage "rootfs-copy" \(copy the rootfs into the lab \(while firecracker starts\)\) timed out after 300 ms/);
    expect(statusOf(result, 'rootfs-drive')).toBe('not-run');
    // Whichever stage was in line when the copy timed out (the socket wait, or the drive waiting for the copy) did not fail by itself.
    expect(result.stages.filter((s) => s.status === 'failed').map((s) => s.name)).toEqual(['rootfs-copy']);
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });

  it('stops the rootfs copy when a stage in line fails (firecracker dies at start), and reports that stage', async () => {
    const reasons: unknown[] = [];
    const result = await boot(['--fake-mode', 'crash-at-start'], { files: hungCopy(reasons) });
    expect(result).toMatchObject({ failedStage: 'api-socket', error: { code: 'BOOT_STAGE_FAILED' } });
    expect(statusOf(result, 'rootfs-copy')).toBe('stopped');
    expect(reasons).toEqual([new StepStopped('stage "api-socket" failed')]);
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });

  it('refuses a step list whose rootfs-drive needs a rootfs-copy that is not there', async () => {
    await expect(boot([], { editSteps: (steps) => removeStep(steps, 'rootfs-copy') })).rejects.toThrow(/^step "rootfs-drive" needs "rootfs-copy", which is not a step before it \(steps: prepare, spawn, api-socket/);
    expect(await residueOf(sandbox().stateDir)).toEqual([]);
  });

  it('reports a teardown that cannot remove the lab dir as a failed "teardown" stage after a good boot', async () => {
    const real = createRealLabFs();
    const result = await boot([], { files: { ...real, removeDir: async () => Promise.reject(new Error('EBUSY: resource busy')) } });
    expect(result.ok).toBe(false);
    expect(result.failedStage).toBe('teardown');
    expect(result.markerLine?.text).toBe('Hello, World!');
    expect(result.cleanupErrors).toEqual([{ name: 'remove the lab directory', message: 'EBUSY: resource busy' }]);
    await real.removeDir(result.labDir);
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });

  it('tears down when the run is interrupted mid-boot and says so', async () => {
    const controller = new AbortController();
    const result = await boot(['--fake-mode', 'hold'], {
      signal: controller.signal,
      out: (event) => {
        if (event.type === 'step-start' && event.name === 'running') controller.abort(new Error('received SIGTERM'));
      },
    });
    expect(result).toMatchObject({ ok: false, failedStage: 'running', error: { code: 'BOOT_INTERRUPTED' } });
    expect(result.error!.summary).toMatch(/was interrupted \(received SIGTERM\); the lab was torn down/);
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });

  it('keeps a running VM in KEEP mode, with its pid file, and reports how to reach it', async () => {
    const result = await boot(['--fake-mode', 'hold'], { keep: true });
    try {
      expect(result).toMatchObject({ ok: true, kept: true, exit: null });
      expect(result.stages.map((s) => s.name)).not.toContain('guest-exit');
      expect(await fs.readFile(path.join(result.labDir, 'firecracker.pid'), 'utf8')).toBe(`${result.pid}\n`);
      expect((await fs.lstat(result.socketPath)).isSocket()).toBe(true);
      expect(await processesWith(`lab-${result.labId}`)).toEqual([result.pid]);
    } finally {
      process.kill(-result.pid!, 'SIGKILL');
      await createRealLabFs().removeDir(result.labDir);
    }
  });
});

describe('bootMicroVm with a network from netd', { timeout: 60_000 }, () => {
  it('allocates a TAP, attaches it as eth0, and releases it at teardown', async () => {
    const netd = new FakeNetdLease().withAnyAlloc({ tap: 'otp0b1e2c3d4e', bridge: 'obr0b1e2c3d4e' });
    let seenConfig: Record<string, unknown> | undefined;
    const result = await boot([], {
      netd,
      editSteps: (steps) =>
        insertAfter(steps, 'network', {
          name: 'inspect',
          title: 'read the VM config back',
          run: async ({ state }) => void (seenConfig = JSON.parse((await state.api!.raw('GET', '/vm/config')).text)),
        }),
    });
    expect(result.ok).toBe(true);
    expect(result.stages.map((s) => s.name).slice(0, 2)).toEqual(['prepare', 'netd']);
    expect(seenConfig?.['network-interfaces']).toEqual([{ iface_id: 'eth0', host_dev_name: 'otp0b1e2c3d4e', guest_mac: null, rx_rate_limiter: null, tx_rate_limiter: null }]);
    expect(netd.calls).toEqual([`alloc ${result.labId}`, `release ${result.labId}`]);
    expect(netd.held()).toEqual([]);
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });

  it('fails at netd when the daemon refuses, and starts no firecracker', async () => {
    const netd = new FakeNetdLease().withAnyAlloc({ error: new Error('netd refused alloc_vm_net: LAB_COLLISION') });
    const result = await boot([], { netd });
    expect(result).toMatchObject({ failedStage: 'netd', pid: null });
    expect(result.error!.summary).toMatch(/LAB_COLLISION/);
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });

  it('releases the TAP when Firecracker refuses it', async () => {
    const netd = new FakeNetdLease().withAnyAlloc({ tap: 'a-name-longer-than-ifnamsiz', bridge: 'obr0' });
    const result = await boot([], { netd });
    expect(result.failedStage).toBe('network');
    expect(result.error!.summary).toMatch(/PUT \/network-interfaces\/eth0 answered 400: Network config error: Could not create the network device/);
    expect(netd.held()).toEqual([]);
    expect(await residueOf(sandbox().stateDir, result.labId)).toEqual([]);
  });
});
