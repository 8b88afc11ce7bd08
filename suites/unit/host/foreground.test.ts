import { fileURLToPath } from 'node:url';
import { existsSync, watch } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { runForeground } from '../../../lib/host/foreground.ts';

const env = { PATH: process.env.PATH };

describe('runForeground (a program sharing the terminal)', () => {
  it('returns the exit code and runs in the given directory with exactly the given environment', async () => {
    const script = "process.exit(process.cwd() === '/' && process.env.ONLY === 'this' && !('HOME' in process.env) ? 7 : 1)";
    const result = await runForeground(process.execPath, ['-e', script], { cwd: '/', env: { ...env, ONLY: 'this' } });
    expect(result).toMatchObject({ exitCode: 7, signal: null });
    expect(result.command).toContain('-e');
  });

  it('sends SIGINT on abort, so the program can shut down cleanly and choose its exit code', () =>
    withDir(
      async ({ path: dir }) => {
        const ready = path.join(dir, 'ready');
        const controller = new AbortController();
        // The program says it is ready (its SIGINT handler installed) by creating a file.
        const script = "process.on('SIGINT', () => process.exit(42)); require('fs').writeFileSync(process.argv[1], ''); setInterval(() => {}, 1000)";
        const isReady = new Promise<void>((resolve) => {
          const watcher = watch(dir, () => {
            if (!existsSync(ready)) return;
            watcher.close();
            resolve();
          });
        });
        const running = runForeground(process.execPath, ['-e', script, ready], { cwd: '/', env, signal: controller.signal });
        await isReady;
        controller.abort();
        expect(await running).toMatchObject({ exitCode: 42 });
      },
      { unsafeCleanup: true },
    ));

  it('with stdoutToStderr, sends the program\'s stdout to this process\'s stderr and leaves stdout clean', async () => {
    const run = await execa(process.execPath, [fileURLToPath(new URL('./foreground-probe.mjs', import.meta.url))], { reject: false });
    expect({ exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr }).toEqual({ exitCode: 0, stdout: 'parent stdout', stderr: 'from the child' });
  });

  it('throws a HostError naming the command when the program does not exist', async () => {
    await expect(runForeground('/nonexistent/vitest', ['run'], { cwd: '/', env })).rejects.toMatchObject({ name: 'HostError', message: expect.stringContaining('/nonexistent/vitest') });
  });
});
