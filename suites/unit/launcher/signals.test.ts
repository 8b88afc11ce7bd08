import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_FIRECRACKER_BIN } from '../../../fixtures/fake-firecracker/index.ts';
import { createBootSandbox, residueOf, type BootSandbox } from '../boot/boot-harness.ts';
import { HeldNetd } from './held-netd.ts';

// The launcher's signal handling, on a real command in a real child process: `boot --net` asks a
// netd stand-in for a TAP and, when interrupted, releases it during teardown. The stand-in holds
// each request until the test answers, so the test decides exactly when teardown may go on.

const BIN = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));
let sandbox: BootSandbox;
let netd: HeldNetd;
beforeEach(async () => {
  sandbox = await createBootSandbox();
  netd = await HeldNetd.listen(path.join(sandbox.root, 'netd.sock'));
});
afterEach(async () => {
  await netd?.close();
  await sandbox?.cleanup();
});

/** Starts `octolab-verify boot --net` against the fake Firecracker and the held netd. */
function startBoot() {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    OCTOLAB_FIRECRACKER_BIN: FAKE_FIRECRACKER_BIN,
    OCTOLAB_MICROVM_KERNEL_PATH: sandbox.images.kernel,
    OCTOLAB_MICROVM_ROOTFS_BASE_PATH: sandbox.images.rootfs,
    OCTOLAB_MICROVM_STATE_DIR: sandbox.stateDir,
    OCTOLAB_MICROVM_NETD_SOCK: netd.socketPath,
    NO_COLOR: '1',
  };
  const child = spawn(process.execPath, [BIN, 'boot', '--net'], { cwd: sandbox.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

describe('bin/octolab-verify.cjs on SIGINT/SIGTERM', { timeout: 60_000 }, () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('on one %s lets the command tear down and exits with the command\'s own code', async (signal) => {
    const { child, done } = startBoot();
    const alloc = await netd.next('alloc_vm_net');
    child.kill(signal);
    // Teardown begins while the alloc is still unanswered: the lease is being released.
    const release = await netd.next('release_vm_net');
    expect(release.labId).toBe(alloc.labId);
    // The interrupted stage had given up its request: nobody is left to read the alloc's answer.
    expect(await alloc.tryAnswer({ ok: false, error: 'SHUTTING_DOWN', message: 'test over' })).toBe('peer-gone');
    release.answer({ ok: true, result: { lab_id: release.labId, bridge_deleted: null, tap_deleted: null } });
    const run = await done;
    expect(run).toMatchObject({ code: 130, signal: null });
    expect(run.stderr).toBe('octolab-verify boot: FAILED at stage "netd"\n');
    expect(run.stdout).toContain(`was interrupted (received ${signal}); the lab was torn down`);
    expect(await residueOf(sandbox.stateDir)).toEqual([]);
  });

  it.each([
    ['SIGTERM', 'SIGTERM', 143],
    ['SIGINT', 'SIGINT', 130],
    ['SIGINT', 'SIGTERM', 143],
  ] as const)('on %s then %s during teardown exits at once with %i and says teardown was interrupted', async (first, second, code) => {
    const { child, done } = startBoot();
    await netd.next('alloc_vm_net');
    child.kill(first);
    await netd.next('release_vm_net'); // held: teardown cannot finish by itself
    child.kill(second);
    const run = await done;
    expect(run).toMatchObject({ code, signal: null });
    // Exactly the launcher's line: the command never got to report its result.
    expect(run.stderr).toBe(`octolab-verify: second ${second}: exiting now; teardown was interrupted (run \`octolab-verify cleanup\` for what is left)\n`);
    expect(run.stdout).not.toContain('the lab was torn down');
    // The cleanups after the held release never ran: the lab directory is still there.
    expect((await fs.readdir(sandbox.stateDir)).filter((name) => name.startsWith('lab_'))).toHaveLength(1);
  });
});
