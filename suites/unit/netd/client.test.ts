import { describe, expect, expectTypeOf, it } from 'vitest';
import { FakeHost } from '../../../fixtures/fake-host.ts';
import { InProcessNetd } from '../../../fixtures/fake-netd.ts';
import { createNetdClient, parseNetdReply, type CallOptions } from '../../../lib/netd/client.ts';
import { NetdError } from '../../../lib/netd/errors.ts';
import type { AllocResult, FlatErrorReply, HelloReply, NestedErrorReply, ReleaseResult } from '../../../lib/netd/protocol.ts';
import { LABS } from './support.ts';

const SOCKET = '/run/octolab/microvm-netd.sock';

function clientFor(netd = new InProcessNetd({ socketPath: SOCKET })) {
  return { netd, client: createNetdClient({ sockets: netd.sockets, socketPath: SOCKET, timeoutMs: 2000 }) };
}

/** A client whose daemon answers every request with `answer`. */
function clientAnswering(answer: string | { errno: string }) {
  const host = new FakeHost().withSocket(SOCKET, () => answer);
  return createNetdClient({ sockets: host.sockets, socketPath: SOCKET });
}

async function failure(promise: Promise<unknown>): Promise<NetdError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetdError);
  return error as NetdError;
}

describe('the client against an in-process daemon', () => {
  it('shakes hands, pings, allocates, diagnoses, lists and releases', async () => {
    const { client, netd } = clientFor();
    await expect(client.hello()).resolves.toMatchObject({ name: 'microvm-netd', api_version: 1 });
    await expect(client.ping()).resolves.toMatchObject({ status: 'ok' });
    await expect(client.alloc(LABS.one)).resolves.toEqual({ lab_id: LABS.one, bridge: 'obr1234567812', tap: 'otp1234567812', created: true });
    await expect(client.diag(LABS.one)).resolves.toMatchObject({ healthy: true, tap: { owned: true } });
    await expect(client.list()).resolves.toMatchObject({ labs: [{ lab_id: LABS.one, bridge: 'obr1234567812', tap: 'otp1234567812' }] });
    await expect(client.release(LABS.one)).resolves.toEqual({ lab_id: LABS.one, bridge_deleted: 'obr1234567812', tap_deleted: 'otp1234567812' });
    expect(netd.links.labLinkNames()).toEqual([]);
  });

  it('carries the daemon\'s code and a hint on a refusal', async () => {
    const { client } = clientFor();
    await client.alloc(LABS.one);
    const error = await failure(client.alloc(LABS.twin));
    expect(error.code).toBe('LAB_COLLISION');
    expect(error.reason).toBe('LAB_COLLISION');
    expect(error.hint).toMatch(/release it first/);
  });

  it.each([
    ['an empty id', '', 'MISSING_LAB_ID'],
    ['a non-UUID', 'lab-1', 'INVALID_LAB_ID'],
  ])('refuses %s before sending anything', async (_label, labId, code) => {
    const host = new FakeHost();
    const client = createNetdClient({ sockets: host.sockets, socketPath: SOCKET });
    expect((await failure(client.alloc(labId))).code).toBe(code);
    expect(host.calls).toEqual([]);
  });

  it('reports an unreachable socket as NETD_UNAVAILABLE with the errno, and EACCES as its own code', async () => {
    const missing = await failure(createNetdClient({ sockets: new FakeHost().sockets, socketPath: SOCKET }).ping());
    expect(missing).toMatchObject({ code: 'NETD_UNAVAILABLE', reason: 'ENOENT' });
    expect(missing.hint).toMatch(/systemctl start microvm-netd/);
    expect(await failure(clientAnswering({ errno: 'EACCES' }).ping())).toMatchObject({ code: 'EACCES', reason: 'EACCES' });
  });

  it('gives up after its timeout on a daemon that never answers', async () => {
    const netd = new InProcessNetd({ socketPath: SOCKET });
    netd.links.latencyMs = 500;
    const client = createNetdClient({ sockets: netd.sockets, socketPath: SOCKET, timeoutMs: 30 });
    expect(await failure(client.list())).toMatchObject({ code: 'NETD_UNAVAILABLE', reason: 'ETIMEDOUT' });
  });
});

describe('reading replies', () => {
  it.each([
    ['the flat envelope', { ok: false, error: 'NAME_IN_USE', message: 'obr… exists' } satisfies FlatErrorReply],
    ['upstream\'s nested envelope', { ok: false, error: { code: 'NAME_IN_USE', message: 'obr… exists' } } satisfies NestedErrorReply],
  ])('turns %s into a NetdError with the code and message', (_label, reply) => {
    const error = (() => {
      try {
        parseNetdReply(Buffer.from(JSON.stringify(reply)), 'alloc_vm_net');
      } catch (e) {
        return e as NetdError;
      }
      return null;
    })();
    expect(error).toMatchObject({ code: 'NAME_IN_USE', summary: 'netd refused alloc_vm_net: NAME_IN_USE: obr… exists' });
  });

  it.each([
    ['an empty answer', ''],
    ['invalid JSON', '{"ok": tru'],
    ['a JSON array', '[true]'],
    ['alloc naming other devices', JSON.stringify({ ok: true, result: { bridge: 'br-octonet', tap: 'otp1234567812' } })],
    ['a result that is not an object', JSON.stringify({ ok: true, result: 'fine' })],
  ])('treats %s as NETD_PROTOCOL_ERROR', async (_label, answer) => {
    expect((await failure(clientAnswering(answer).alloc(LABS.one))).code).toBe('NETD_PROTOCOL_ERROR');
  });

  it.each(['constructor', 'toString', '__proto__'])('gives no hint for the error code %j, a name of Object.prototype', async (code) => {
    const flat = await failure(clientAnswering(JSON.stringify({ ok: false, error: code, message: 'm' })).ping());
    expect({ code: flat.code, hint: flat.hint }).toEqual({ code, hint: undefined });
    const nested = await failure(clientAnswering(JSON.stringify({ ok: false, error: { code, message: 'm' } })).ping());
    expect({ code: nested.code, hint: nested.hint }).toEqual({ code, hint: undefined });
  });

  it('carries TOO_MANY_CONNECTIONS with a hint to retry and keep fewer requests in flight', async () => {
    const error = await failure(clientAnswering(JSON.stringify({ ok: false, error: 'TOO_MANY_CONNECTIONS', message: 'at most 128' })).ping());
    expect({ code: error.code, hint: error.hint }).toEqual({ code: 'TOO_MANY_CONNECTIONS', hint: expect.stringMatching(/retry shortly/) });
  });

  it('clips a hostile, huge error code and message instead of carrying them whole', async () => {
    const answer = JSON.stringify({ ok: false, error: 'X'.repeat(5000), message: 'm'.repeat(5000) });
    const error = await failure(clientAnswering(answer).ping());
    expect(error.code.length).toBeLessThanOrEqual(64);
    expect(error.summary.length).toBeLessThan(700);
  });

  describe('diag replies', () => {
    const link = (name: string) => ({ name, exists: true, owner_lab_id: LABS.one, owned: true, kind: 'tap', up: true, state: 'down', master: null });
    const diag = (tap: Record<string, unknown>) =>
      JSON.stringify({ ok: true, result: { lab_id: LABS.one, bridge: link('obr1234567812'), tap: { ...link('otp1234567812'), ...tap }, healthy: false } });

    it('keeps the TAP owner comparison a daemon reports', async () => {
      const answer = diag({ owner_uid: 4242, owner_expected: 5555, owner_matches: false });
      await expect(clientAnswering(answer).diag(LABS.one)).resolves.toMatchObject({ tap: { owner_uid: 4242, owner_expected: 5555, owner_matches: false } });
    });

    it('accepts a daemon that does not compare owners, and invents no comparison', async () => {
      const result = await clientAnswering(diag({ owner_uid: 4242 })).diag(LABS.one);
      expect(result.tap.owner_uid).toBe(4242);
      expect(result.tap).not.toHaveProperty('owner_matches');
      expect(result.tap).not.toHaveProperty('owner_expected');
    });

    it.each([
      ['a uid that is a string', { owner_uid: '0' }],
      ['a negative uid', { owner_uid: -1 }],
      ['owner_expected without owner_matches', { owner_uid: 1, owner_expected: 1 }],
      ['owner_matches that is not a boolean', { owner_uid: 1, owner_expected: 1, owner_matches: 'yes' }],
      ['an owner_expected that is no uid', { owner_uid: 1, owner_expected: 1.5, owner_matches: false }],
    ])('treats %s as NETD_PROTOCOL_ERROR', async (_label, tap) => {
      expect((await failure(clientAnswering(diag(tap)).diag(LABS.one))).code).toBe('NETD_PROTOCOL_ERROR');
    });
  });

  it('accepts an upstream-style release without bridge_deleted', async () => {
    const answer = JSON.stringify({ ok: true, result: { tap_deleted: 'otp1234567812', lab_id_suffix: '789abc' } });
    await expect(clientAnswering(answer).release(LABS.one)).resolves.toEqual({ lab_id: LABS.one, bridge_deleted: null, tap_deleted: 'otp1234567812' });
  });
});

describe('hello', () => {
  const hello = (fields: Record<string, unknown>) => JSON.stringify({ ok: true, name: 'microvm-netd', api_version: 1, supported_ops: ['alloc_vm_net', 'release_vm_net', 'diag_vm_net'], build_id: 'b', ...fields });

  it.each([
    ['a different api_version', hello({ api_version: 2 }), /API version mismatch: got 2, need 1/],
    ['no api_version', hello({ api_version: undefined }), /no api_version/],
    ['missing required ops', hello({ supported_ops: ['ping'] }), /Required ops: \[alloc_vm_net, release_vm_net, diag_vm_net\]; supported ops: \[ping\]/],
    ['an old daemon without hello', JSON.stringify({ ok: false, error: 'UNKNOWN_OP', message: 'Unknown operation: hello' }), /does not support hello/],
  ])('refuses a daemon with %s', async (_label, answer, message) => {
    const error = await failure(clientAnswering(answer).hello());
    expect(error.code === 'NETD_COMPAT_ERROR' || error.code === 'NETD_PROTOCOL_ERROR').toBe(true);
    expect(error.summary).toMatch(message);
  });

  it('checks only the ops the caller names', async () => {
    await expect(clientAnswering(hello({ supported_ops: ['ping'] })).hello(['ping'])).resolves.toMatchObject({ api_version: 1 });
  });
});

describe('wire types', () => {
  it('pins the shapes other engineers call', () => {
    expectTypeOf<HelloReply>().toHaveProperty('supported_ops').toEqualTypeOf<string[]>();
    expectTypeOf<AllocResult>().toEqualTypeOf<{ lab_id: string; bridge: string; tap: string; created: boolean }>();
    expectTypeOf<ReleaseResult>().toEqualTypeOf<{ lab_id: string; bridge_deleted: string | null; tap_deleted: string | null }>();
    expectTypeOf(createNetdClient).returns.toHaveProperty('alloc').parameters.toEqualTypeOf<[string, CallOptions?]>();
  });
});

describe('large lists', () => {
  it('reads a list of 200 labs, larger than upstream\'s 16 KiB reply limit', async () => {
    // 200 allocs in flight at once: above the daemon's default connection limit.
    const { client } = clientFor(new InProcessNetd({ socketPath: SOCKET, maxConnections: 256 }));
    const labs = Array.from({ length: 200 }, (_, i) => `${(i + 1).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
    await Promise.all(labs.map((lab) => client.alloc(lab)));
    await expect(client.list()).resolves.toMatchObject({ count: 400 });
  });
});
