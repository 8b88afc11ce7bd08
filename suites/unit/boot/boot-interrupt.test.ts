import { promises as fs, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootMicroVm, type BootOptions } from '../../../lib/firecracker/boot-pipeline.ts';
import type { BootResult } from '../../../lib/firecracker/boot-result.ts';
import type { LabFs } from '../../../lib/firecracker/lab-fs.ts';
import { createRealLabFs } from '../../../lib/host/vmm/real-lab-fs.ts';
import { sparseCopy } from '../../../lib/host/vmm/rootfs-copy.ts';
import { fakeInputs, residueOf, useBootSandbox } from './boot-harness.ts';
import { LabFsProbe, type CreatingOp } from './lab-fs-probe.ts';

// Regression: SIGTERM/SIGINT in the first ~0.8 s of `boot` left <state>/lab_<uuid>/ with
// firecracker.log and the whole rootfs copy behind (6 of 6 tries). An aborted stage was abandoned,
// not stopped: teardown ran while it went on creating, and an abort that came before the boot began
// still let "prepare" start. Each test aborts at one point and then requires: the boot reports the
// interruption, teardown never overlapped a creation, nothing began after the result, nothing is left.

const sandbox = useBootSandbox();

const SIGTERM = () => new Error('received SIGTERM');

function boot(probe: LabFsProbe, signal: AbortSignal, options: Partial<BootOptions> = {}): Promise<BootResult> {
  // `hold` keeps the fake up after its output, so no stage ends by itself before the abort lands.
  return bootMicroVm({ inputs: fakeInputs(sandbox(), ['--fake-mode', 'hold']), budgetMs: 30_000, signal, files: probe.files, spawn: probe.spawn, ...options });
}

/** Waits until the abandoned work (if any) has stopped, then says everything the probe and the state dir found. */
async function findings(probe: LabFsProbe, result: BootResult) {
  probe.markReturned();
  await probe.quiet();
  return { overlaps: probe.overlaps, afterReturn: probe.afterReturn, residue: await residueOf(sandbox().stateDir, result.labId) };
}

const CLEAN = { overlaps: [], afterReturn: [], residue: [] };

describe('an interrupted boot leaves nothing', { timeout: 60_000 }, () => {
  it('does not begin when the abort came before the boot: no stage runs, nothing is created', async () => {
    const probe = new LabFsProbe();
    const controller = new AbortController();
    controller.abort(SIGTERM());
    const result = await boot(probe, controller.signal);
    expect(await findings(probe, result)).toEqual(CLEAN);
    expect(probe.log.filter((entry) => entry.startsWith('start') && !entry.endsWith('readTail'))).toEqual([]);
    expect(result).toMatchObject({ ok: false, failedStage: 'prepare', error: { code: 'BOOT_INTERRUPTED' }, pid: null });
    expect(result.error!.summary).toBe('boot stage "prepare" (check the inputs and create the lab directory) was not started: the boot was interrupted (received SIGTERM) before it began; nothing was created');
    expect(result.stages.every((s) => s.status === 'not-run')).toBe(true);
  });

  it.each<[CreatingOp, string]>([
    ['createDir', 'prepare'],
    ['createEmptyFile', 'prepare'],
    ['spawn', 'spawn'],
    ['writeFileAtomic', 'spawn'],
    ['tail', 'spawn'],
  ])('stops at %s (stage %s) when aborted while it is under way, and undoes it', async (op, stage) => {
    const probe = new LabFsProbe();
    const held = probe.hold(op);
    const controller = new AbortController();
    const running = boot(probe, controller.signal);
    await held.entered;
    controller.abort(SIGTERM());
    // The pipeline sees the abort while the operation is still under way; only then does it finish.
    await new Promise((resolve) => setImmediate(resolve));
    held.release();
    const result = await running;
    expect(result).toMatchObject({ failedStage: stage, error: { code: 'BOOT_INTERRUPTED' } });
    expect(result.error!.summary).toMatch(/was interrupted \(received SIGTERM\); the lab was torn down/);
    expect(await findings(probe, result)).toEqual(CLEAN);
    // Nothing after the held operation was begun: the stage stopped at its next step.
    const next = probe.log.slice(probe.log.indexOf(`end ${op}`) + 1).filter((e) => e.startsWith('start'));
    expect(next.every((e) => /removeDir|removeFile|readTail/.test(e))).toBe(true);
  });

  it('does not begin the next stage when the abort lands between two stages', async () => {
    const probe = new LabFsProbe();
    const controller = new AbortController();
    const result = await boot(probe, controller.signal, {
      out: (event) => {
        if (event.type === 'step-end' && event.name === 'prepare') controller.abort(SIGTERM());
      },
    });
    expect(result).toMatchObject({ failedStage: 'spawn', pid: null, error: { code: 'BOOT_INTERRUPTED' } });
    expect(result.error!.summary).toMatch(/"spawn" .* was not started: the boot was interrupted \(received SIGTERM\) before this stage; the lab was torn down/);
    expect(result.stages.map((s) => s.status).slice(0, 2)).toEqual(['passed', 'not-run']);
    expect(await findings(probe, result)).toEqual(CLEAN);
    expect(probe.log).not.toContain('start spawn');
  });

  // The rootfs is copied alongside the stages in line (rootfs-copy runs from the spawn until
  // rootfs-drive needs it): an interruption is charged to the stage the boot is at, and a copy under
  // way beside it is stopped. Either way the copy stops, removes its partial target and settles
  // before teardown begins.
  it('stops the copy running beside the wait for the socket when aborted then: that wait is interrupted, the copy stopped', async () => {
    const probe = new LabFsProbe();
    const held = probe.hold('copyRootfs');
    const controller = new AbortController();
    // no-socket: firecracker never listens, so the boot is certainly still waiting for its socket.
    const running = bootMicroVm({ inputs: fakeInputs(sandbox(), ['--fake-mode', 'no-socket']), budgetMs: 30_000, signal: controller.signal, files: probe.files, spawn: probe.spawn });
    await held.entered;
    controller.abort(SIGTERM());
    await new Promise((resolve) => setImmediate(resolve));
    held.release();
    const result = await running;
    expect(result).toMatchObject({ failedStage: 'api-socket', error: { code: 'BOOT_INTERRUPTED' } });
    expect(result.error!.summary).toMatch(/^boot stage "api-socket" .* was interrupted \(received SIGTERM\); the lab was torn down/);
    expect(result.stages.find((s) => s.name === 'rootfs-copy')?.status).toBe('stopped');
    expect(await findings(probe, result)).toEqual(CLEAN);
  });

  it('charges the interruption to the copy when the boot was waiting for it before rootfs-drive', async () => {
    const probe = new LabFsProbe();
    const held = probe.hold('copyRootfs');
    const controller = new AbortController();
    let configured!: () => void;
    const waiting = new Promise<void>((resolve) => (configured = resolve));
    const running = boot(probe, controller.signal, {
      // boot-source is the last stage before rootfs-drive, which waits for the copy.
      out: (event) => {
        if (event.type === 'step-end' && event.name === 'boot-source') configured();
      },
    });
    await Promise.all([held.entered, waiting]);
    await new Promise((resolve) => setImmediate(resolve)); // the boot has gone on from boot-source to wait for the copy
    controller.abort(SIGTERM());
    await new Promise((resolve) => setImmediate(resolve));
    held.release();
    const result = await running;
    expect(result).toMatchObject({ failedStage: 'rootfs-copy', error: { code: 'BOOT_INTERRUPTED' } });
    expect(result.error!.summary).toMatch(/^boot stage "rootfs-copy" .* was interrupted \(received SIGTERM\); the lab was torn down/);
    expect(result.stages.find((s) => s.name === 'boot-source')?.status).toBe('passed');
    expect(result.stages.find((s) => s.name === 'rootfs-drive')?.status).toBe('not-run');
    expect(await findings(probe, result)).toEqual(CLEAN);
  });

  it.each([
    ['while the boot waits for the socket', 'api-socket', 'stopped: the run was interrupted (received SIGTERM)'],
    ['while the boot waits for the copy', 'rootfs-copy', 'stopped: received SIGTERM'],
  ])('stops copying a large rootfs mid-way %s, removes the partial copy, and only then tears down', { timeout: 120_000 }, async (_when, stage, outcome) => {
    const big = await largeRootfs(path.join(sandbox().root, 'big.ext4'));
    const copies: Array<{ outcome: string; bytes: number }> = [];
    const controller = new AbortController();
    let watcher: FSWatcher | undefined;
    const real = createRealLabFs();
    let configured!: () => void;
    const waiting = new Promise<void>((resolve) => (configured = resolve));
    const files: LabFs = {
      ...real,
      // The first write into the lab's rootfs copy is the moment to interrupt (directory events, no polling).
      createDir: async (dir) => {
        await real.createDir(dir);
        watcher = watch(dir, (event, name) => {
          if (event === 'change' && name === 'rootfs.ext4') controller.abort(SIGTERM());
        });
      },
      // Always the block copy: a file system that reflinks would clone the image at once.
      copyRootfs: async (source, target, signal) => {
        // To be interrupted while the boot waits for the copy, the copy begins once every stage before rootfs-drive has passed.
        if (stage === 'rootfs-copy') await waiting;
        try {
          await sparseCopy(source, target, signal);
          copies.push({ outcome: 'finished', bytes: (await fs.stat(target)).size });
          return 'sparse-copy';
        } catch (error) {
          copies.push({ outcome: `stopped: ${(error as Error).message}`, bytes: await fs.stat(target).then((s) => s.size, () => -1) });
          throw error;
        } finally {
          watcher?.close();
        }
      },
    };
    const probe = new LabFsProbe(files);
    // To be interrupted while the boot waits for the socket, firecracker never listens (no-socket).
    const fakeArgs = stage === 'api-socket' ? ['--fake-mode', 'no-socket'] : ['--fake-mode', 'hold'];
    const result = await bootMicroVm({
      inputs: { ...fakeInputs(sandbox(), fakeArgs), rootfsPath: big },
      budgetMs: 60_000,
      signal: controller.signal,
      files: probe.files,
      spawn: probe.spawn,
      out: (event) => {
        if (event.type === 'step-end' && event.name === 'boot-source') configured();
      },
    });
    expect(result).toMatchObject({ failedStage: stage, error: { code: 'BOOT_INTERRUPTED' } });
    // The copy ended by the abort, its partial target already gone (-1: no such file), before teardown began.
    expect(copies).toEqual([{ outcome, bytes: -1 }]);
    expect(await findings(probe, result)).toEqual(CLEAN);
  });
});

/** A 1 GiB sparse image with a data block every 16 MiB (the first at 0): a copy that reads it all takes a while. */
async function largeRootfs(file: string): Promise<string> {
  const handle = await fs.open(file, 'w');
  try {
    const block = Buffer.alloc(4096, 0xa5);
    for (let offset = 0; offset < 1024 * 1024 * 1024; offset += 16 * 1024 * 1024) await handle.write(block, 0, block.length, offset);
    await handle.truncate(1024 * 1024 * 1024);
  } finally {
    await handle.close();
  }
  return file;
}
