/**
 * A tiny stand-in for microvm-netd on a real unix socket: it answers `hello` and `ping` as
 * api_version 1 does (one JSON request per connection, one reply, then close) and nothing else.
 * Enough for the doctor's netd check until the daemon itself is used.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import { MAX_REQUEST_BYTES, NETD_API_VERSION, NETD_NAME } from '../../../lib/netd/protocol.ts';

/** A listening tiny netd; `close` stops it and removes the socket file. */
export interface TinyNetd {
  socketPath: string;
  requests: string[];
  close(): Promise<void>;
}

function reply(raw: string): string {
  let op: unknown;
  try {
    op = (JSON.parse(raw) as { op?: unknown }).op;
  } catch {
    return JSON.stringify({ ok: false, error: 'INVALID_JSON', message: 'request is not JSON' });
  }
  if (op === 'hello') {
    return JSON.stringify({ ok: true, name: NETD_NAME, api_version: NETD_API_VERSION, supported_ops: ['hello', 'ping', 'alloc_vm_net', 'release_vm_net', 'diag_vm_net', 'list'], build_id: 'tiny-netd' });
  }
  if (op === 'ping') return JSON.stringify({ ok: true, result: { status: 'ok', version: '1.0', ts: Math.floor(Date.now() / 1000) } });
  return JSON.stringify({ ok: false, error: 'UNKNOWN_OP', message: 'tiny netd answers hello and ping only' });
}

/** Listens on `socketPath`, then sets its owner, group and mode as given. */
export async function startTinyNetd(socketPath: string, owner: { uid: number; gid: number; mode: number }): Promise<TinyNetd> {
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    let text = '';
    const answer = () => {
      requests.push(text);
      socket.end(reply(text));
    };
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.length >= MAX_REQUEST_BYTES) answer();
    });
    socket.on('end', answer);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  await fs.chown(socketPath, owner.uid, owner.gid);
  await fs.chmod(socketPath, owner.mode);
  return {
    socketPath,
    requests,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(socketPath, { force: true });
    },
  };
}
