import path from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { startFakeNetdProcess } from '../../../fixtures/fake-netd-spawn.ts';
import { createRealSockets } from '../../../lib/host/real-sockets.ts';
import { createNetdClient } from '../../../lib/netd/client.ts';
import { NetdError } from '../../../lib/netd/errors.ts';

/** Starts the fake process on a socket in a temporary directory, runs `body`, then stops it with SIGTERM. */
async function withFakeNetd(args: string[], body: (socketPath: string) => Promise<void>): Promise<void> {
  await withDir(
    async ({ path: tmp }) => {
      const netd = await startFakeNetdProcess(path.join(tmp, 'netd.sock'), args);
      try {
        await body(netd.socketPath);
      } finally {
        const ended = await netd.stop();
        expect(ended.exitCode, `fake netd: signal ${ended.signal}, stderr: ${ended.stderr}`).toBe(0);
      }
    },
    { unsafeCleanup: true },
  );
}

const LAB = '12345678-1234-4234-8234-123456789abc';

describe('the fake netd process', () => {
  it('answers the real client over a real socket with the daemon\'s own handling', { timeout: 30_000 }, async () => {
    await withFakeNetd([], async (socketPath) => {
      const client = createNetdClient({ sockets: createRealSockets(), socketPath, timeoutMs: 10_000 });
      await expect(client.hello()).resolves.toMatchObject({ api_version: 1 });
      await expect(client.alloc('12345678-1234-4234-8234-123456789abc')).resolves.toMatchObject({ tap: 'otp1234567812' });
      await expect(client.request({ op: 'list' })).resolves.toMatchObject({ result: { count: 2, truncated: false } });
    });
  });

  it('plays the previous per-lab daemon with --previous: no design, no guest parameters, the old list shape', { timeout: 30_000 }, async () => {
    await withFakeNetd(['--previous'], async (socketPath) => {
      const client = createNetdClient({ sockets: createRealSockets(), socketPath, timeoutMs: 10_000 });
      const hello = await client.request({ op: 'hello' });
      expect(hello).toMatchObject({ ok: true, build_id: 'octolab-verify-netd-1' });
      expect(hello).not.toHaveProperty('design');
      await expect(client.request({ op: 'alloc_vm_net', lab_id: LAB })).resolves.toEqual({ ok: true, result: { lab_id: LAB, bridge: 'obr1234567812', tap: 'otp1234567812', created: true } });
      await expect(client.request({ op: 'list' })).resolves.toEqual({
        ok: true,
        result: { labs: [{ lab_id: LAB, bridge: 'obr1234567812', tap: 'otp1234567812' }], interfaces: [{ name: 'obr1234567812', type: 'bridge', lab_id: LAB }, { name: 'otp1234567812', type: 'tap', lab_id: LAB }], count: 2, unowned: [] },
      });
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
