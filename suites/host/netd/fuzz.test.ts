import net from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { NETD_ERROR_CODES, NETD_OPS } from '../../../lib/netd/protocol.ts';
import { parseFuzzSeed } from '../../support/fuzz-seed.ts';
import { labIdFor, labLinksIn, listAll, NamespaceRig, startDaemon } from './support.ts';

/** One fuzzed exchange: the bytes, how they are cut into writes, and whether the client half-closes. */
interface Exchange {
  bytes: Buffer;
  chunks: number;
  halfClose: boolean;
}

const LAB_POOL = Array.from({ length: 8 }, (_, i) => labIdFor(i + 1, 7));

const payload = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  { weight: 2, arbitrary: fc.json().map((t) => Buffer.from(t)) },
  {
    weight: 4,
    arbitrary: fc
      .record({
        op: fc.oneof(fc.constantFrom(...NETD_OPS), fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null)),
        lab_id: fc.oneof(fc.constantFrom(...LAB_POOL), fc.uuid(), fc.string({ maxLength: 60 }), fc.integer(), fc.constant(''), fc.object()),
      }, { requiredKeys: [] })
      // Valid lab ops on random UUIDs are turned into diag: real allocations stay within the pool.
      .map((r) => (typeof r.lab_id === 'string' && !LAB_POOL.includes(r.lab_id) && /^[0-9a-f-]{36}$/.test(r.lab_id) ? { ...r, op: 'diag_vm_net' } : r))
      .map((r) => Buffer.from(JSON.stringify(r))),
  },
  { weight: 1, arbitrary: fc.integer({ min: 4097, max: 20_000 }).map((n) => Buffer.from(`{"op":"${'z'.repeat(n)}"}`)) },
);

const exchange: fc.Arbitrary<Exchange> = fc.record({ bytes: payload, chunks: fc.integer({ min: 1, max: 4 }), halfClose: fc.boolean() });

/** Sends one exchange on a real connection and returns the raw answer (empty when the daemon closed without one). */
function send(socketPath: string, { bytes, chunks, halfClose }: Exchange): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('close', () => resolve(text));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    socket.on('connect', () => {
      const size = Math.ceil(bytes.length / chunks) || 1;
      for (let at = 0; at < bytes.length; at += size) socket.write(bytes.subarray(at, at + size));
      if (halfClose) socket.end();
    });
  });
}

const rig = new NamespaceRig();
afterEach(() => rig.finish());

describe('netd under hostile input', () => {
  it('answers 10,000 fuzzed requests, still answers ping, and leaves no stray links', { tags: ['root', 'net', 'fuzz', 'slow'], timeout: 600_000 }, async (ctx) => {
    const { netns, dir } = await rig.open(ctx);
    const socketPath = path.join(dir, 'run', 'netd.sock');
    const running = await startDaemon({ netns, socketPath, requestTimeoutMs: 300 });
    rig.onFinish(() => running.daemon.stop());
    // A fixed seed by default: these 10,000 cases are the same on every run (OCTOLAB_FUZZ_SEED picks others).
    const seed = parseFuzzSeed(process.env.OCTOLAB_FUZZ_SEED) ?? 20_241_128;
    const cases = fc.sample(exchange, { numRuns: 10_000, seed });
    const codes = new Set(Object.keys(NETD_ERROR_CODES));
    const seen = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const index = next++;
        const answer = await send(socketPath, cases[index]!);
        const reply = JSON.parse(answer) as { ok: unknown; error?: unknown };
        if (typeof reply.ok !== 'boolean' || (reply.ok === false && !codes.has(String(reply.error)))) {
          throw new Error(`case ${index} (seed ${seed}) got ${answer.slice(0, 200)}`);
        }
        const key = reply.ok ? 'ok' : String(reply.error);
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(seen.get('INVALID_JSON')).toBeGreaterThan(0);
    expect(seen.get('REQUEST_TOO_LARGE')).toBeGreaterThan(0);
    expect(seen.get('ok')).toBeGreaterThan(0);

    const { client } = running;
    await expect(client.ping()).resolves.toMatchObject({ status: 'ok' });
    // Whatever the fuzzer allocated is whole: each lab of the pool has both devices or neither, all owned.
    const { devices } = await listAll(socketPath);
    expect(devices.filter((device) => device.owned === false)).toEqual([]);
    expect(devices.length % 2).toBe(0);
    for (let i = 0; i < devices.length; i += 2) expect([devices[i]!.type, devices[i + 1]!.type, devices[i]!.name.slice(3)]).toEqual(['bridge', 'tap', devices[i + 1]!.name.slice(3)]);
    for (const lab of LAB_POOL) await client.release(lab);
    expect(await labLinksIn(netns)).toEqual([]);
    expect(running.daemon.openConnections).toBe(0);
  });
});
