import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStreamPair, InProcessNetd } from '../../../fixtures/fake-netd.ts';
import { FakeNetdServeHost } from '../../../fixtures/fake-netd-serve-host.ts';
import { FakeLinks } from '../../../fixtures/fake-links.ts';
import { createAddressPool, DEFAULT_POOL_SETTINGS } from '../../../lib/netd/address-pool.ts';
import { serveConnection, type PeerIdentity } from '../../../lib/netd/connection.ts';
import { startNetdDaemon } from '../../../lib/netd/daemon.ts';
import { MAX_CONNECTIONS, MAX_PEER_CONNECTIONS, REQUEST_DEADLINE_MS, type NetdReply } from '../../../lib/netd/protocol.ts';
import { LABS, readAll } from './support.ts';

const FLOODER: PeerIdentity = { pid: 700, uid: 1500, gid: 1500 };
const BACKEND: PeerIdentity = { pid: 800, uid: 1600, gid: 990 };

/** Opens a connection as `peer` and sends half a request, so it stays open, idle, until the deadline. */
function idle(netd: InProcessNetd, peer: PeerIdentity | null) {
  const client = netd.connect(peer);
  const answer = readAll(client).then((bytes) => bytes.toString());
  client.write('{"op":');
  return { client, answer };
}

/** Sends a whole request as `peer` and returns the parsed reply. */
async function ask(netd: InProcessNetd, peer: PeerIdentity | null, request: object): Promise<Record<string, unknown>> {
  const client = netd.connect(peer);
  const answer = readAll(client);
  client.write(JSON.stringify(request));
  return JSON.parse((await answer).toString()) as Record<string, unknown>;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the per-client share of connections', () => {
  it('defaults to 256 connections at once, 128 of them for one uid', () => {
    expect([MAX_CONNECTIONS, MAX_PEER_CONNECTIONS]).toEqual([256, 128]);
  });

  it('lets one uid hold at most its share idle; another uid\'s ping and alloc are answered at once', async () => {
    const netd = new InProcessNetd({ maxConnections: 10, maxPeerConnections: 4, requestTimeoutMs: 60_000 });
    const held = Array.from({ length: 4 }, () => idle(netd, FLOODER));
    const refused = await ask(netd, FLOODER, { op: 'ping' });
    expect(refused).toEqual({
      ok: false,
      error: 'TOO_MANY_CONNECTIONS',
      message: 'microvm-netd serves at most 4 connections at once per client, and uid 1500 has that many open; close idle ones and retry',
    });
    expect(await ask(netd, BACKEND, { op: 'ping' })).toMatchObject({ ok: true, result: { status: 'ok' } });
    expect(await ask(netd, BACKEND, { op: 'alloc_vm_net', lab_id: LABS.one })).toMatchObject({ ok: true, result: { tap: 'otp1234567812' } });
    expect(netd.connections.size).toBe(4);
    expect(netd.log).toContain('op=- lab=- result=TOO_MANY_CONNECTIONS duration_ms=0.0 uid=1500 pid=700');
    expect(netd.log.some((line) => line.startsWith(`op=alloc_vm_net lab=${LABS.one} result=ok`) && line.endsWith(' uid=1600 pid=800'))).toBe(true);
    // One of the flooder's connections ends: its share has room again.
    held[0]!.client.destroy();
    await vi.waitFor(() => expect(netd.connections.size).toBe(3));
    expect(await ask(netd, FLOODER, { op: 'ping' })).toMatchObject({ ok: true });
    for (const { client } of held) client.destroy();
  });

  it('counts connections of unknown peers as one client', async () => {
    const netd = new InProcessNetd({ maxConnections: 10, maxPeerConnections: 2, requestTimeoutMs: 60_000 });
    const held = [idle(netd, null), idle(netd, null)];
    expect(await ask(netd, null, { op: 'ping' })).toMatchObject({ error: 'TOO_MANY_CONNECTIONS', message: expect.stringContaining('this client has that many open') });
    expect(await ask(netd, BACKEND, { op: 'ping' })).toMatchObject({ ok: true });
    for (const { client } of held) client.destroy();
  });

  it('still caps all clients together at the total limit', async () => {
    const netd = new InProcessNetd({ maxConnections: 3, maxPeerConnections: 2, requestTimeoutMs: 60_000 });
    const held = [idle(netd, FLOODER), idle(netd, FLOODER), idle(netd, BACKEND)];
    expect(await ask(netd, { pid: 1, uid: 0, gid: 0 }, { op: 'ping' })).toMatchObject({ error: 'TOO_MANY_CONNECTIONS', message: 'microvm-netd serves at most 3 connections at once; retry shortly' });
    for (const { client } of held) client.destroy();
  });
});

describe('the request deadline', () => {
  it('answers REQUEST_TIMEOUT to a connection that has not sent its whole request 2 s after connecting (the daemon\'s default)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const host = new FakeNetdServeHost();
    const daemon = await startNetdDaemon({
      host,
      links: new FakeLinks(),
      socketPath: '/run/octolab/microvm-netd.sock',
      group: 'octolab',
      tapOwner: null,
      pool: createAddressPool(DEFAULT_POOL_SETTINGS),
      log: () => undefined,
    });
    const client = host.connect('/run/octolab/microvm-netd.sock', FLOODER);
    let answer: string | null = null;
    void readAll(client).then((bytes) => (answer = bytes.toString()));
    client.write('{"op":"pi');
    await vi.advanceTimersByTimeAsync(REQUEST_DEADLINE_MS - 1);
    expect(answer).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(answer).not.toBeNull());
    expect(JSON.parse(answer!)).toEqual({ ok: false, error: 'REQUEST_TIMEOUT', message: `no complete request within ${REQUEST_DEADLINE_MS} ms` });
    expect(REQUEST_DEADLINE_MS).toBe(2000);
    vi.useRealTimers();
    await daemon.stop();
  });
});

describe('the reply size', () => {
  it('never sends a reply over 16,384 bytes: a larger one becomes INTERNAL_ERROR', async () => {
    const [client, server] = createStreamPair();
    const log: string[] = [];
    const huge = { ok: true, result: { status: 'ok', version: 'x'.repeat(16_400), ts: 0 } } as NetdReply;
    serveConnection(server, { dispatch: async () => ({ reply: huge, op: 'ping', labId: null, result: 'ok' }), timeoutMs: 1000, log: (entry) => log.push(entry.result) });
    const answer = readAll(client);
    client.write('{"op":"ping"}');
    expect(JSON.parse((await answer).toString())).toEqual({ ok: false, error: 'INTERNAL_ERROR', message: 'Internal server error' });
    expect(log).toEqual(['INTERNAL_ERROR']);
  });
});
