import net from 'node:net';
import path from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cidrPrefix,
  NetdCompatError,
  NetdProtocolError,
  NetdUnavailableError,
  NetworkError,
  pythonJsonDumps,
  UpstreamNetdClient,
} from '../../../fixtures/upstream-netd-client.ts';

/** What a scripted server saw of one connection. */
interface Seen {
  bytes: Buffer;
  /** The client half-closed before the server answered. */
  halfClosed: boolean;
}

/** A server that answers every request with `reply` (in one write) after a short pause, recording what it got. */
async function scriptedServer(socketPath: string, reply: string | Buffer, seen: Seen[]): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const record: Seen = { bytes: Buffer.alloc(0), halfClosed: false };
    seen.push(record);
    socket.on('data', (chunk: Buffer) => (record.bytes = Buffer.concat([record.bytes, chunk])));
    socket.on('end', () => (record.halfClosed = true));
    socket.on('error', () => undefined);
    // Long enough for a half-close to arrive if the client sent one.
    setTimeout(() => socket.end(reply), 20);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return server;
}

let tmp: DirectoryResult;
let servers: net.Server[] = [];
beforeEach(async () => {
  tmp = await dir({ unsafeCleanup: true });
});
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  await tmp.cleanup();
});

async function clientAnswering(reply: string | Buffer): Promise<{ client: UpstreamNetdClient; seen: Seen[] }> {
  const socketPath = path.join(tmp.path, `s${servers.length}.sock`);
  const seen: Seen[] = [];
  servers.push(await scriptedServer(socketPath, reply, seen));
  return { client: new UpstreamNetdClient({ socketPath, timeoutMs: 5000 }), seen };
}

describe('the model of upstream\'s netd client (fixtures/upstream-netd-client.ts)', () => {
  it('writes json.dumps of the request in one piece, without newline, and never half-closes', async () => {
    const { client, seen } = await clientAnswering('{"ok": true, "result": {"status": "ok"}}');
    await client.call('alloc_vm_net', { lab_id: 'x' });
    expect(seen[0]!.bytes.toString()).toBe('{"op": "alloc_vm_net", "lab_id": "x"}');
    expect(seen[0]!.halfClosed).toBe(false);
    expect(pythonJsonDumps({ op: 'ping', lab_id: 'é' })).toBe('{"op": "ping", "lab_id": "\\u00e9"}');
  });

  it('returns result when there is one, and the whole reply when there is none (hello)', async () => {
    expect(await (await clientAnswering('{"ok": true, "result": {"a": 1}}')).client.call('x')).toEqual({ a: 1 });
    expect(await (await clientAnswering('{"ok": true, "name": "n"}')).client.call('x')).toEqual({ ok: true, name: 'n' });
  });

  it.each([
    ['the nested envelope', '{"ok": false, "error": {"code": "INVALID_LAB_ID", "message": "lab_id must be a valid UUID"}}', 'INVALID_LAB_ID', 'lab_id must be a valid UUID'],
    ['the flat envelope', '{"ok": false, "error": "UNKNOWN_OP", "message": "Unknown operation: x"}', 'UNKNOWN_OP', 'Unknown operation: x'],
    ['a string error without message', '{"ok": false, "error": "BOOM"}', 'BOOM', 'Unknown error'],
    ['an error of another type', '{"ok": false, "error": 7}', 'UNKNOWN', 'Unknown error'],
  ])('reads %s into code and message', async (_label, reply, code, message) => {
    const error = await (await clientAnswering(reply)).client.call('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code, detail: message, message: `${code}: ${message}` });
  });

  it.each([
    ['an empty reply', '', 'Empty response from netd'],
    ['text that is not JSON', 'not json', 'Invalid JSON response'],
    ['a JSON array', '[1]', 'Response is not a dict'],
  ])('calls %s a protocol error', async (_label, reply, message) => {
    const error = await (await clientAnswering(reply)).client.call('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetdProtocolError);
    expect((error as NetworkError).detail).toBe(message);
  });

  it('reads a reply of exactly 16,384 bytes whole, and cuts one of 20,000 bytes at 16,384 (Invalid JSON)', async () => {
    const padded = (size: number) => {
      const base = '{"ok": true, "result": {"pad": ""}}';
      return base.replace('""', `"${'x'.repeat(size - base.length)}"`);
    };
    const exact = await clientAnswering(padded(16384));
    await expect(exact.client.call('x')).resolves.toMatchObject({ pad: expect.any(String) });
    expect(exact.client.lastResponse).toHaveLength(16384);
    const over = await clientAnswering(padded(20000));
    await expect(over.client.call('x')).rejects.toMatchObject({ code: 'NETD_PROTOCOL_ERROR', detail: 'Invalid JSON response' });
    expect(over.client.lastResponse).toHaveLength(16384);
  });

  it('says the socket is missing, and that a daemon that never answers timed out', async () => {
    await expect(new UpstreamNetdClient({ socketPath: path.join(tmp.path, 'absent.sock') }).call('ping')).rejects.toBeInstanceOf(NetdUnavailableError);
    const socketPath = path.join(tmp.path, 'mute.sock');
    const held: net.Socket[] = [];
    const mute = net.createServer((socket) => void held.push(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => mute.listen(socketPath, resolve));
    await expect(new UpstreamNetdClient({ socketPath, timeoutMs: 50 }).call('ping')).rejects.toMatchObject({ detail: 'Connection to netd timed out' });
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => mute.close(resolve));
  });

  it.each([
    ['a daemon without hello', '{"ok": false, "error": "UNKNOWN_OP", "message": "Unknown operation: hello"}', 'handshake failed (missing hello); likely outdated netd'],
    ['api_version 2', '{"ok": true, "api_version": 2, "supported_ops": ["alloc_vm_net", "release_vm_net", "diag_vm_net"]}', 'API version mismatch: got 2, need 1'],
    ['no api_version', '{"ok": true, "supported_ops": []}', '(no api_version in response)'],
    ['a missing required op', '{"ok": true, "api_version": 1, "supported_ops": ["alloc_vm_net", "release_vm_net"]}', 'Required ops: [alloc_vm_net, release_vm_net, diag_vm_net]'],
  ])('refuses the handshake with %s', async (_label, reply, message) => {
    const error = await (await clientAnswering(reply)).client.ensureCompatible().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetdCompatError);
    expect((error as NetworkError).detail).toContain(message);
  });

  it('requires all six fields from alloc_vm_net (the reply of the previous reference daemon fails)', async () => {
    const socketPath = path.join(tmp.path, 'old.sock');
    const server = net.createServer((socket) => {
      socket.once('data', (chunk: Buffer) => {
        const op = (JSON.parse(chunk.toString()) as { op: string }).op;
        socket.end(
          op === 'hello'
            ? '{"ok": true, "api_version": 1, "supported_ops": ["alloc_vm_net", "release_vm_net", "diag_vm_net"]}'
            : '{"ok": true, "result": {"lab_id": "x", "bridge": "obr1234567812", "tap": "otp1234567812", "created": true}}',
        );
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    await expect(new UpstreamNetdClient({ socketPath }).allocVmNet('x')).rejects.toMatchObject({ code: 'NETD_PROTOCOL_ERROR', detail: 'Missing required fields in response' });
  });

  it.each([
    ['255.255.255.255', 32],
    ['255.255.255.0', 24],
    ['255.255.0.0', 16],
    ['255.0.0.0', 8],
    ['255.255.255.252', 16],
    [undefined, 16],
  ])('maps netmask %s to cidr_prefix %i as upstream does', (netmask, prefix) => {
    expect(cidrPrefix(netmask)).toBe(prefix);
  });
});
