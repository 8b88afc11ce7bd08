import net from 'node:net';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { createFirecrackerApi } from '../../../lib/firecracker/api-client.ts';

// What the API client puts on the wire, captured by a plain socket server: Firecracker reads a
// body by Content-Length only (a chunked one arrives empty), and answers on one connection.

/** Serves `answers` in order on one unix socket, recording each request head+body as received. */
async function withRecorder(body: (socket: string, heads: string[], connections: () => number) => Promise<void>): Promise<void> {
  await withDir(
    async ({ path: dir }) => {
      const socket = path.join(dir, 'api.sock');
      const heads: string[] = [];
      let connections = 0;
      const server = net.createServer((connection) => {
        connections++;
        let pending = '';
        connection.on('data', (chunk) => {
          pending += chunk.toString('utf8');
          for (;;) {
            const end = pending.indexOf('\r\n\r\n');
            if (end === -1) return;
            const length = Number(/content-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
            if (Buffer.byteLength(pending.slice(end + 4)) < length) return;
            const request = pending.slice(0, end + 4 + length);
            pending = pending.slice(request.length);
            heads.push(request);
            connection.write('HTTP/1.1 204 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n\r\n');
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      try {
        await body(socket, heads, () => connections);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    },
    { unsafeCleanup: true },
  );
}

describe('the Firecracker API client on the wire', () => {
  it('sends every body with its byte length, a PUT without one with Content-Length: 0, never chunked, all on one connection', async () => {
    await withRecorder(async (socket, heads, connections) => {
      const api = createFirecrackerApi({ socketPath: socket });
      try {
        await api.putBootSource({ kernel_image_path: '/images/vmlinüx', boot_args: 'console=ttyS0' });
        await api.raw('PUT', '/actions');
        await api.raw('GET', '/');
      } finally {
        await api.close();
      }
      expect(heads).toHaveLength(3);
      const body = JSON.stringify({ kernel_image_path: '/images/vmlinüx', boot_args: 'console=ttyS0' });
      expect(heads[0]).toMatch(new RegExp(`^PUT /boot-source HTTP/1\\.1\\r\\n[^]*content-length: ${Buffer.byteLength(body)}\\r\\n[^]*\\r\\n\\r\\n`, 'i'));
      expect(heads[0]!.endsWith(body)).toBe(true);
      expect(heads[1]).toMatch(/^PUT \/actions HTTP\/1\.1\r\n[^]*content-length: 0\r\n/i);
      expect(heads[2]).toMatch(/^GET \/ HTTP\/1\.1\r\n/);
      for (const head of heads) expect(head).not.toMatch(/transfer-encoding/i);
      expect(connections()).toBe(1);
    });
  });
});
