import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { InProcessNetd } from '../../../fixtures/fake-netd.ts';
import { createAddressPool } from '../../../lib/netd/address-pool.ts';
import {
  NETD_ERROR_CODES,
  NETD_OPS,
  type NetdErrorCode,
  type NetworkParams,
  type PerLabAllocResult,
  type PerLabListResult,
  type PerLabReleaseResult,
} from '../../../lib/netd/protocol.ts';
import { LABS, readAll, sendRaw } from './support.ts';

const request = (op: string, labId?: unknown) => JSON.stringify(labId === undefined ? { op } : { op, lab_id: labId });

describe('the daemon answering each op', () => {
  it('answers hello with its name, api_version 1, the sorted supported ops, a build id and its design, at top level', async () => {
    const reply = await sendRaw(new InProcessNetd(), [request('hello')], { halfClose: true });
    expect(reply).toEqual({ ok: true, name: 'microvm-netd', api_version: 1, supported_ops: [...NETD_OPS].sort(), build_id: 'octolab-verify-netd-1', design: 'per-lab' });
  });

  it('answers ping with status ok, version and a unix timestamp under result', async () => {
    const reply = await sendRaw(new InProcessNetd(), [request('ping')], { halfClose: true });
    expect(reply).toEqual({ ok: true, result: { status: 'ok', version: '1.0', ts: expect.any(Number) } });
    expect(Math.abs((reply.result as { ts: number }).ts - Date.now() / 1000)).toBeLessThan(600);
  });

  it.each([
    ['alloc_vm_net', 'release_vm_net'],
    ['create', 'destroy'],
  ])('allocates with %s and releases with %s, returning the derived names and the guest network, keys in contract order', async (alloc, release) => {
    const netd = new InProcessNetd();
    const created = await sendRaw(netd, [request(alloc, ` ${LABS.one.toUpperCase()} `)], { halfClose: true });
    const result = {
      lab_id: LABS.one,
      lab_id_suffix: '789abc',
      bridge: 'obr1234567812',
      tap: 'otp1234567812',
      guest_ip: '10.210.120.2',
      gateway: '10.210.120.1',
      netmask: '255.255.255.0',
      dns: '8.8.8.8',
      created: true,
    };
    expect(created).toEqual({ ok: true, result });
    expect(Object.keys(created.result as object)).toEqual(Object.keys(result));
    const released = await sendRaw(netd, [request(release, LABS.one)], { halfClose: true });
    expect(released).toEqual({ ok: true, result: { lab_id: LABS.one, lab_id_suffix: '789abc', bridge_deleted: 'obr1234567812', tap_deleted: 'otp1234567812' } });
    expect(netd.links.labLinkNames()).toEqual([]);
  });

  it('answers diag_vm_net and list from the devices themselves', async () => {
    const netd = new InProcessNetd();
    await sendRaw(netd, [request('alloc_vm_net', LABS.one)], { halfClose: true });
    const diag = await sendRaw(netd, [request('diag_vm_net', LABS.one)], { halfClose: true });
    expect(diag).toMatchObject({
      ok: true,
      result: { lab_id_suffix: '789abc', healthy: true, bridge: { owned: true }, tap: { master: 'obr1234567812' }, network_params: { guest_ip: '10.210.120.2', gateway: '10.210.120.1', netmask: '255.255.255.0', dns: '8.8.8.8' } },
    });
    const list = await sendRaw(netd, [request('list')], { halfClose: true });
    expect(list).toEqual({ ok: true, result: { interfaces: [{ name: 'obr1234567812', type: 'bridge' }, { name: 'otp1234567812', type: 'tap' }], count: 2, truncated: false } });
  });

  it.each([[-1], [1.5], ['2'], [null], [true], [{}]])('refuses list with offset %j as INVALID_REQUEST', async (offset) => {
    const reply = await sendRaw(new InProcessNetd(), [JSON.stringify({ op: 'list', offset })], { halfClose: true });
    expect(reply).toEqual({ ok: false, error: 'INVALID_REQUEST', message: expect.stringMatching(/offset must be a non-negative integer/) });
  });

  it('logs one line per request with op, lab id, result and duration, and no request bytes', async () => {
    const netd = new InProcessNetd();
    await sendRaw(netd, [request('alloc_vm_net', LABS.one)], { halfClose: true });
    await sendRaw(netd, [request('/etc/shadow\u001b[31m')], { halfClose: true });
    expect(netd.log).toHaveLength(2);
    expect(netd.log[0]).toMatch(new RegExp(`^op=alloc_vm_net lab=${LABS.one} result=ok duration_ms=\\d+\\.\\d$`));
    expect(netd.log[1]).toMatch(/^op=\? lab=- result=UNKNOWN_OP duration_ms=/);
  });
});

describe('framing', () => {
  it('answers as soon as a complete object arrives, without a half-close', async () => {
    const reply = await sendRaw(new InProcessNetd(), [request('ping')], { halfClose: false });
    expect(reply).toMatchObject({ ok: true });
  });

  it('assembles a request that arrives one byte at a time', async () => {
    const text = request('alloc_vm_net', LABS.one);
    const reply = await sendRaw(new InProcessNetd(), [...text], { halfClose: false });
    expect(reply).toMatchObject({ ok: true, result: { tap: 'otp1234567812' } });
  });

  it('accepts trailing whitespace and a newline, as upstream clients send', async () => {
    expect(await sendRaw(new InProcessNetd(), [`${request('ping')}\n`], { halfClose: true })).toMatchObject({ ok: true });
  });

  it('answers a request of exactly 4096 bytes and refuses one of 4097 with REQUEST_TOO_LARGE', async () => {
    const base = request('ping');
    const exact = `${base.slice(0, -1)},"pad":"${'x'.repeat(4096 - base.length - 9)}"}`;
    expect(Buffer.byteLength(exact)).toBe(4096);
    expect(await sendRaw(new InProcessNetd(), [exact], { halfClose: true })).toMatchObject({ ok: true });
    const over = exact.replace('"pad":"', '"pad":"x');
    expect(await sendRaw(new InProcessNetd(), [over], { halfClose: true })).toMatchObject({ ok: false, error: 'REQUEST_TOO_LARGE' });
  });

  it('refuses a megabyte sent in chunks without buffering it all, and keeps serving', async () => {
    const netd = new InProcessNetd();
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const reply = await sendRaw(netd, [Buffer.from('{"op":"'), ...Array.from({ length: 16 }, () => chunk)], { halfClose: true });
    expect(reply).toMatchObject({ error: 'REQUEST_TOO_LARGE' });
    expect(await sendRaw(netd, [request('ping')])).toMatchObject({ ok: true });
  });

  it('answers EMPTY_REQUEST to a client that half-closes without sending anything', async () => {
    expect(await sendRaw(new InProcessNetd(), [], { halfClose: true })).toMatchObject({ ok: false, error: 'EMPTY_REQUEST' });
  });

  it('answers REQUEST_TIMEOUT to a client that sends nothing, or half a request, and never half-closes', async () => {
    const netd = new InProcessNetd({ requestTimeoutMs: 30 });
    expect(await sendRaw(netd, [])).toMatchObject({ error: 'REQUEST_TIMEOUT' });
    expect(await sendRaw(netd, ['{"op":"pi'])).toMatchObject({ error: 'REQUEST_TIMEOUT' });
    expect(netd.connections.size).toBe(0);
  });

  it('treats an incomplete object followed by a half-close as INVALID_JSON', async () => {
    expect(await sendRaw(new InProcessNetd(), ['{"op":"pi'], { halfClose: true })).toMatchObject({ error: 'INVALID_JSON' });
  });

  it('closes quietly and logs CLIENT_GONE when the client disconnects before its answer', async () => {
    const netd = new InProcessNetd();
    netd.links.latencyMs = 20;
    const client = netd.connect();
    client.write(request('alloc_vm_net', LABS.one));
    await new Promise((resolve) => setTimeout(resolve, 5));
    client.destroy();
    await Promise.all([...netd.connections].map((c) => c.done));
    expect(netd.log[0]).toMatch(/result=CLIENT_GONE/);
  });
});

/** One scenario per error code; the table must cover NETD_ERROR_CODES exactly. */
const errorScenarios: Record<NetdErrorCode, (netd: InProcessNetd) => Promise<Record<string, unknown>>> = {
  INVALID_JSON: (netd) => sendRaw(netd, ['{"op": ping}']),
  INVALID_REQUEST: (netd) => sendRaw(netd, ['[]']),
  EMPTY_REQUEST: (netd) => sendRaw(netd, [], { halfClose: true }),
  REQUEST_TOO_LARGE: (netd) => sendRaw(netd, [`{"op":"${'a'.repeat(5000)}`]),
  REQUEST_TIMEOUT: (netd) => sendRaw(new InProcessNetd({ links: netd.links, requestTimeoutMs: 20 }), ['{']),
  UNKNOWN_OP: (netd) => sendRaw(netd, [request('setup_port_forward', LABS.one)]),
  MISSING_LAB_ID: (netd) => sendRaw(netd, [request('alloc_vm_net', '')]),
  INVALID_LAB_ID: (netd) => sendRaw(netd, [request('alloc_vm_net', 123)]),
  LAB_COLLISION: async (netd) => {
    await sendRaw(netd, [request('alloc_vm_net', LABS.one)]);
    return sendRaw(netd, [request('alloc_vm_net', LABS.twin)]);
  },
  NAME_IN_USE: (netd) => {
    netd.links.seed({ name: 'obr1234567812', kind: 'bridge' });
    return sendRaw(netd, [request('alloc_vm_net', LABS.one)]);
  },
  TAP_OWNER_MISMATCH: (netd) => {
    const alias = `octolab:lab=${LABS.one}`;
    netd.links.seed({ name: 'obr1234567812', kind: 'bridge', alias }).seed({ name: 'otp1234567812', kind: 'tap', alias, master: 'obr1234567812', owner: 4242 }).attach('otp1234567812');
    return sendRaw(netd, [request('alloc_vm_net', LABS.one)]);
  },
  EPERM: (netd) => {
    netd.links.failOn(() => true, 'EPERM', 'RTNETLINK answers: Operation not permitted');
    return sendRaw(netd, [request('alloc_vm_net', LABS.one)]);
  },
  LINK_QUERY_FAILED: (netd) => {
    netd.links.failQuery({ errno: 'OTHER', message: 'cannot run ip: ENOENT' });
    return sendRaw(netd, [request('list')]);
  },
  CREATE_FAILED: (netd) => {
    netd.links.failOn((op) => op.op === 'add-bridge', 'OTHER', 'RTNETLINK answers: Invalid argument');
    return sendRaw(netd, [request('alloc_vm_net', LABS.one)]);
  },
  ALIAS_FAILED: (netd) => {
    netd.links.failOn((op) => op.op === 'set-alias', 'OTHER', 'RTNETLINK answers: Invalid argument');
    return sendRaw(netd, [request('alloc_vm_net', LABS.one)]);
  },
  ATTACH_FAILED: (netd) => {
    netd.links.failOn((op) => op.op === 'set-master', 'OTHER', 'RTNETLINK answers: Too many links');
    return sendRaw(netd, [request('alloc_vm_net', LABS.one)]);
  },
  UP_FAILED: (netd) => {
    netd.links.failOn((op) => op.op === 'set-up', 'OTHER', 'RTNETLINK answers: Network is down');
    return sendRaw(netd, [request('alloc_vm_net', LABS.one)]);
  },
  DELETE_FAILED: async (netd) => {
    await sendRaw(netd, [request('alloc_vm_net', LABS.one)]);
    netd.links.failOn((op) => op.op === 'delete', 'EBUSY', 'Device or resource busy');
    return sendRaw(netd, [request('release_vm_net', LABS.one)]);
  },
  SHUTTING_DOWN: async (netd) => {
    const client = netd.connect();
    const answer = readAll(client);
    client.write('{"op":');
    for (const connection of netd.connections) connection.refuseIfReading();
    return JSON.parse((await answer).toString()) as Record<string, unknown>;
  },
  TOO_MANY_CONNECTIONS: async (netd) => {
    const small = new InProcessNetd({ links: netd.links, maxConnections: 1, requestTimeoutMs: 1000 });
    const holder = small.connect();
    holder.write('{"op":');
    const reply = await sendRaw(small, [request('ping')], { halfClose: true });
    holder.destroy();
    return reply;
  },
  POOL_EXHAUSTED: async (netd) => {
    const tiny = new InProcessNetd({ links: netd.links, pool: createAddressPool({ pool: '10.77.0.0/24', labPrefixLen: 24, dns: '8.8.8.8' }) });
    await sendRaw(tiny, [request('alloc_vm_net', LABS.one)]);
    return sendRaw(tiny, [request('alloc_vm_net', LABS.other)]);
  },
  ADDRESS_FAILED: (netd) => {
    netd.links.failOn((op) => op.op === 'add-address', 'OTHER', 'RTNETLINK answers: Invalid argument');
    return sendRaw(netd, [request('alloc_vm_net', LABS.one)]);
  },
  INTERNAL_ERROR: (netd) => {
    netd.links.listLabLinks = () => Promise.reject(new TypeError('a bug'));
    return sendRaw(netd, [request('diag_vm_net', LABS.one)]);
  },
};

describe('error replies', () => {
  it('has a scenario for every documented error code', () => {
    expect(Object.keys(errorScenarios).sort()).toEqual(Object.keys(NETD_ERROR_CODES).sort());
  });

  it.each(Object.keys(errorScenarios) as NetdErrorCode[])('answers %s in the flat envelope with a message', async (code) => {
    const netd = new InProcessNetd();
    const reply = await errorScenarios[code](netd);
    expect(reply).toEqual({ ok: false, error: code, message: expect.stringMatching(/\S/) });
  });

  it('never leaks internal error details to the client', async () => {
    const reply = await errorScenarios.INTERNAL_ERROR(new InProcessNetd());
    expect(reply.message).toBe('Internal server error');
  });
});

describe('the connection limit', () => {
  it('answers TOO_MANY_CONNECTIONS beyond it without reading, logs it, and serves again once a connection closes', async () => {
    const netd = new InProcessNetd({ maxConnections: 3, requestTimeoutMs: 5000 });
    const holders = Array.from({ length: 3 }, () => {
      const client = netd.connect();
      client.write('{"op":');
      return client;
    });
    expect(netd.connections.size).toBe(3);
    const refused = await sendRaw(netd, [request('ping')], { halfClose: true });
    expect(refused).toMatchObject({ ok: false, error: 'TOO_MANY_CONNECTIONS', message: 'microvm-netd serves at most 3 connections at once; retry shortly' });
    expect(netd.connections.size).toBe(3);
    expect(netd.log).toContain('op=- lab=- result=TOO_MANY_CONNECTIONS duration_ms=0.0');
    const first = holders.shift()!;
    const answer = readAll(first);
    first.end('"ping"}');
    expect(JSON.parse((await answer).toString())).toMatchObject({ ok: true });
    await expect(sendRaw(netd, [request('ping')], { halfClose: true })).resolves.toMatchObject({ ok: true });
    for (const holder of holders) holder.destroy();
    await Promise.all([...netd.connections].map((c) => c.done));
    expect(netd.connections.size).toBe(0);
  });
});

describe('hostile input', () => {
  it('answers every random byte string with one JSON reply and stays able to ping', { tags: ['fuzz'] }, async () => {
    const netd = new InProcessNetd({ requestTimeoutMs: 50 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
          fc.json().map((text) => Buffer.from(text)),
          fc.record({ op: fc.constantFrom(...NETD_OPS, 'x'), lab_id: fc.oneof(fc.uuid(), fc.string(), fc.integer()) }).map((o) => Buffer.from(JSON.stringify(o))),
        ),
        async (bytes) => {
          const reply = await sendRaw(netd, bytes.length ? [bytes] : [], { halfClose: true });
          expect(typeof reply.ok).toBe('boolean');
          if (reply.ok === false) expect(Object.keys(NETD_ERROR_CODES)).toContain(reply.error);
        },
      ),
      { numRuns: 400 },
    );
    expect(await sendRaw(netd, [request('ping')])).toMatchObject({ ok: true });
    const labs = new Set(netd.links.labLinkNames().map((name) => netd.links.table.get(name)!.alias!.replace('octolab:lab=', '')));
    await Promise.all([...labs].map((lab) => sendRaw(netd, [request('release_vm_net', lab)])));
    expect(netd.links.labLinkNames()).toEqual([]);
  });

  it('serves 64 labs concurrently and keeps one lab\'s requests in order', async () => {
    const netd = new InProcessNetd();
    netd.links.latencyMs = 1;
    const labs = Array.from({ length: 64 }, (_, i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
    const replies = await Promise.all(labs.map((lab) => sendRaw(netd, [request('alloc_vm_net', lab)])));
    expect(replies.every((r) => r.ok === true)).toBe(true);
    expect(netd.links.labLinkNames()).toHaveLength(128);
    const same = await Promise.all(Array.from({ length: 8 }, () => sendRaw(netd, [request('alloc_vm_net', labs[0])])));
    expect(same.every((r) => r.ok === true)).toBe(true);
    expect(netd.links.overlaps).toEqual([]);
    await Promise.all(labs.map((lab) => sendRaw(netd, [request('release_vm_net', lab)])));
    expect(netd.links.labLinkNames()).toEqual([]);
  });
});

describe('the wire types of this daemon', () => {
  it('pins the shapes of alloc, release and list results', () => {
    expectTypeOf<NetworkParams>().toEqualTypeOf<{ guest_ip: string; gateway: string; netmask: string; dns: string }>();
    expectTypeOf<PerLabAllocResult>().toEqualTypeOf<{
      lab_id: string;
      lab_id_suffix: string;
      bridge: string;
      tap: string;
      guest_ip: string;
      gateway: string;
      netmask: string;
      dns: string;
      created: boolean;
    }>();
    expectTypeOf<PerLabReleaseResult>().toEqualTypeOf<{ lab_id: string; lab_id_suffix: string; bridge_deleted: string | null; tap_deleted: string | null }>();
    expectTypeOf<PerLabListResult>().toEqualTypeOf<{
      interfaces: { name: string; type: 'bridge' | 'tap'; owned?: false }[];
      count: number;
      truncated: boolean;
      next_offset?: number;
    }>();
  });
});
