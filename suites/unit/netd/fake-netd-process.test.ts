import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { createRealSockets } from '../../../lib/host/real-sockets.ts';
import { createNetdClient } from '../../../lib/netd/client.ts';
import { NetdError } from '../../../lib/netd/errors.ts';

/** The fake's launcher: runs its build (dist/), not the TypeScript through tsx. */
const PROGRAM = fileURLToPath(new URL('../../../fixtures/fake-netd-process.mjs', import.meta.url));

/** Starts the fake process on a socket in a temporary directory, runs `body`, then stops it with SIGTERM. */
async function withFakeNetd(args: string[], body: (socketPath: string, child: ResultPromise) => Promise<void>): Promise<void> {
  await withDir(
    async ({ path: tmp }) => {
      const socketPath = path.join(tmp, 'netd.sock');
      const child = execa(process.execPath, [PROGRAM, '--socket', socketPath, ...args], { reject: false });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => (chunk.toString().includes('listening') ? resolve() : undefined));
        void child.then((result) => reject(new Error(`fake netd exited early: ${result.stderr}`)));
      });
      try {
        await body(socketPath, child);
      } finally {
        child.kill('SIGTERM');
        const ended = await child;
        expect(ended.exitCode, `fake netd: signal ${ended.signal}, stderr: ${ended.stderr}`).toBe(0);
      }
    },
    { unsafeCleanup: true },
  );
}

describe('the fake netd process', () => {
  it('answers the real client over a real socket with the daemon\'s own handling', { timeout: 30_000 }, async () => {
    await withFakeNetd([], async (socketPath) => {
      const client = createNetdClient({ sockets: createRealSockets(), socketPath, timeoutMs: 10_000 });
      await expect(client.hello()).resolves.toMatchObject({ api_version: 1 });
      await expect(client.alloc('12345678-1234-4234-8234-123456789abc')).resolves.toMatchObject({ tap: 'otp1234567812' });
      await expect(client.request({ op: 'list' })).resolves.toMatchObject({ result: { count: 2, truncated: false } });
    });
  });

  it('plays an outdated daemon with --reply and a wedged one with --hang', { timeout: 30_000 }, async () => {
    await withFakeNetd(['--reply', '{"ok": false, "error": {"code": "UNKNOWN_OP", "message": "Unknown operation: hello"}}'], async (socketPath) => {
      const error = await createNetdClient({ sockets: createRealSockets(), socketPath }).hello().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetdError);
      expect((error as NetdError).code).toBe('NETD_COMPAT_ERROR');
    });
    await withFakeNetd(['--hang'], async (socketPath) => {
      const error = await createNetdClient({ sockets: createRealSockets(), socketPath, timeoutMs: 200 }).ping().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'NETD_UNAVAILABLE', reason: 'ETIMEDOUT' });
    });
  });

  it('abandons a request to a wedged daemon at once when the caller aborts (no wait for the timeout)', { timeout: 30_000 }, async () => {
    await withFakeNetd(['--hang'], async (socketPath) => {
      const client = createNetdClient({ sockets: createRealSockets(), socketPath, timeoutMs: 60_000 });
      const controller = new AbortController();
      const reason = new Error('stage deadline');
      const pending = client.alloc('12345678-1234-4234-8234-123456789abc', { signal: controller.signal }).catch((e: unknown) => e);
      controller.abort(reason);
      // The rejection is the caller's own reason, not a NETD_UNAVAILABLE timeout 60 s later.
      expect(await pending).toBe(reason);
      const already = await client.release('12345678-1234-4234-8234-123456789abc', { signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
      expect(already).toBe(reason);
    });
  });
});
