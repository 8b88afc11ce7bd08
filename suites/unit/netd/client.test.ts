import { describe, expect, expectTypeOf, it } from 'vitest';
import { FakeHost } from '../../../fixtures/fake-host.ts';
import { InProcessNetd } from '../../../fixtures/fake-netd.ts';
import { InProcessPreviousNetd } from '../../../fixtures/fake-previous-netd.ts';
import { InProcessSharedNetd } from '../../../fixtures/fake-shared-netd/in-process.ts';
import { createNetdClient, parseNetdReply, type CallOptions } from '../../../lib/netd/client.ts';
import { NetdError } from '../../../lib/netd/errors.ts';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { MAX_CONNECTIONS, MAX_PEER_CONNECTIONS, REQUEST_DEADLINE_MS, type FlatErrorReply, type NestedErrorReply } from '../../../lib/netd/protocol.ts';
import type { AllocView, ReleaseView } from '../../../lib/netd/views.ts';
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

/** A client whose daemon answers per op (and records the requests). */
function clientAnsweringOps(answers: Record<string, unknown | ((request: Record<string, unknown>) => unknown)>) {
  const requests: Record<string, unknown>[] = [];
  const host = new FakeHost().withSocket(SOCKET, (payload) => {
    const request = JSON.parse(payload.toString()) as Record<string, unknown>;
    requests.push(request);
    const answer = answers[String(request.op)];
    if (answer === undefined) return JSON.stringify({ ok: false, error: 'UNKNOWN_OP', message: `Unknown operation: ${String(request.op)}` });
    return JSON.stringify(typeof answer === 'function' ? (answer as (r: Record<string, unknown>) => unknown)(request) : answer);
  });
  return { requests, client: createNetdClient({ sockets: host.sockets, socketPath: SOCKET }) };
}

async function failure(promise: Promise<unknown>): Promise<NetdError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetdError);
  return error as NetdError;
}

describe('the client against the per-lab reference daemon (in process)', () => {
  it('shakes hands, pings, allocates, diagnoses, lists and releases, with the design from hello and the guest parameters from alloc', async () => {
    const { client, netd } = clientFor();
    await expect(client.hello()).resolves.toMatchObject({ name: 'microvm-netd', api_version: 1, design: 'per-lab', design_evidence: 'hello says design "per-lab"' });
    await expect(client.ping()).resolves.toMatchObject({ status: 'ok', missing: [] });
    // The address scheme's worked example (docs/netd-daemon.md): slot 0x12345678 % 1024 = 632 of 10.208.0.0/14 in /24s.
    const guest = { guest_ip: '10.210.120.2', gateway: '10.210.120.1', netmask: '255.255.255.0', dns: '8.8.8.8' };
    await expect(client.alloc(LABS.one)).resolves.toEqual({ lab_id: LABS.one, lab_id_suffix: '789abc', design: 'per-lab', bridge: 'obr1234567812', tap: 'otp1234567812', ...guest, created: true, missing: [] } satisfies AllocView);
    await expect(client.diag(LABS.one)).resolves.toMatchObject({ design: 'per-lab', lab_id_suffix: '789abc', healthy: true, verdict: 'healthy', tap: { owned: true, master: 'obr1234567812' }, network_params: guest });
    // The list names devices, not labs: a lab is found by the 10 hex digits of its devices' names.
    await expect(client.list()).resolves.toMatchObject({ design: 'per-lab', shape: 'interfaces', labs: [{ lab_prefix: '1234567812', lab_id: null, bridge: 'obr1234567812', tap: 'otp1234567812' }], unowned: [], count: 2, pages: 1, complete: true });
    await expect(client.release(LABS.one)).resolves.toEqual({ lab_id: LABS.one, lab_id_suffix: '789abc', design: 'per-lab', bridge_deleted: 'obr1234567812', tap_deleted: 'otp1234567812' });
    expect(netd.links.labLinkNames()).toEqual([]);
  });

  it('diagnoses an absent lab as not healthy, device by device, and without addresses', async () => {
    const { client } = clientFor();
    const diag = await client.diag(LABS.other);
    expect(diag).toMatchObject({ verdict: 'not-healthy', healthy: false, bridge: { exists: false }, tap: { exists: false }, network_params: null });
    expect(diag.checks.filter((c) => c.ok === false).map((c) => c.name)).toEqual(['tap exists', 'bridge exists', 'tap enslaved to obrabcdefabcd', 'guest network parameters']);
    // Whether absent devices are up or owned is no question: those checks are not made.
    expect(diag.checks.map((c) => c.name)).toEqual(['tap exists', 'bridge exists', 'tap enslaved to obrabcdefabcd', 'guest network parameters']);
  });

  it("carries the daemon's code and a hint on a refusal", async () => {
    const { client } = clientFor();
    await client.alloc(LABS.one);
    const error = await failure(client.alloc(LABS.twin));
    expect(error.code).toBe('LAB_COLLISION');
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

  it("reads the daemon's paged list of 250 labs whole (two pages, each within upstream's 16 KiB)", async () => {
    const { client, netd } = clientFor();
    const labs = Array.from({ length: 250 }, (_, i) => `${(i + 1).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
    // In batches within one client's share of the daemon's connections.
    for (let i = 0; i < labs.length; i += 100) await Promise.all(labs.slice(i, i + 100).map((lab) => client.alloc(lab)));
    const list = await client.list();
    expect({ count: list.count, pages: list.pages, labs: list.labs.length, complete: list.complete }).toEqual({ count: 500, pages: 2, labs: 250, complete: true });
    expect(list.labs.map((lab) => lab.lab_prefix)).toEqual(labs.map((lab) => labLinkNames(lab).prefix));
    expect(list.labs.every((lab) => lab.lab_id === null && lab.bridge !== null && lab.tap !== null)).toBe(true);
    expect(netd.log.filter((line) => line.startsWith('op=list'))).toHaveLength(2);
  });

  it("refuses the requests a client keeps in flight beyond its share, with the daemon's limits in the hint", async () => {
    const { client } = clientFor();
    const labs = Array.from({ length: 200 }, (_, i) => `${(i + 1).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
    const settled = await Promise.allSettled(labs.map((lab) => client.alloc(lab)));
    const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as NetdError);
    // All 200 connect before any is answered: the in-process client is one peer, as one process is one uid.
    expect({ served: settled.length - refused.length, refused: refused.length }).toEqual({ served: MAX_PEER_CONNECTIONS, refused: 200 - MAX_PEER_CONNECTIONS });
    expect(new Set(refused.map((e) => e.code))).toEqual(new Set(['TOO_MANY_CONNECTIONS']));
    expect(refused[0]!.summary).toContain(`at most ${MAX_PEER_CONNECTIONS} connections at once per client`);
    expect(refused[0]!.hint).toContain(`serves ${MAX_CONNECTIONS} at once, at most ${MAX_PEER_CONNECTIONS} per client uid, and ends a connection whose request has not arrived within ${REQUEST_DEADLINE_MS / 1000} s`);
  });
});

describe('the client against the previous per-lab daemon (before the address scheme) and the one before the handshake', () => {
  function previous(options: { hello?: boolean } = {}) {
    const netd = new InProcessPreviousNetd({ socketPath: SOCKET, ...options });
    return { netd, client: createNetdClient({ sockets: netd.sockets, socketPath: SOCKET, timeoutMs: 2000 }) };
  }

  it("reads the design from hello's build id, and reports the guest parameters an old alloc reply lacks as missing, never as values", async () => {
    const { client } = previous();
    await expect(client.hello()).resolves.toMatchObject({ design: 'per-lab', design_evidence: `hello's build_id is "octolab-verify-netd-1" (this project's per-lab daemon, a version from before hello's design field)` });
    const alloc = await client.alloc(LABS.one);
    expect(alloc).toEqual({ lab_id: LABS.one, lab_id_suffix: null, design: 'per-lab', bridge: 'obr1234567812', tap: 'otp1234567812', guest_ip: null, gateway: null, netmask: null, dns: null, created: true, missing: ['guest_ip', 'gateway', 'netmask', 'dns'] } satisfies AllocView);
    const diag = await client.diag(LABS.one);
    expect(diag).toMatchObject({ verdict: 'healthy', healthy: true, network_params: null, lab_id_suffix: null });
    expect(diag.checks.at(-1)).toEqual({ name: 'guest network parameters', ok: null, detail: 'the daemon does not report them' });
    await expect(client.release(LABS.one)).resolves.toEqual({ lab_id: LABS.one, lab_id_suffix: null, design: 'per-lab', bridge_deleted: 'obr1234567812', tap_deleted: 'otp1234567812' });
  });

  it('identifies the daemon before the handshake as the old per-lab one', async () => {
    const { client, netd } = previous({ hello: false });
    await expect(client.identify()).resolves.toEqual({ hello: null, design: 'per-lab', design_evidence: 'no hello (UNKNOWN_OP): the old per-lab daemon, which predates the handshake' });
    await expect(client.alloc(LABS.one)).resolves.toMatchObject({ design: 'per-lab', missing: ['guest_ip', 'gateway', 'netmask', 'dns'] });
    expect(netd.ops).toEqual(['hello', 'alloc_vm_net']);
  });

  it("reads a list of 200 labs in the old shape, one reply larger than upstream's 16 KiB, with each lab's id", async () => {
    const { client, netd } = previous();
    const labs = Array.from({ length: 200 }, (_, i) => `${(i + 1).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
    for (let i = 0; i < labs.length; i += 100) await Promise.all(labs.slice(i, i + 100).map((lab) => client.alloc(lab)));
    netd.links.seed({ name: 'otp00000000ff', kind: 'tap' });
    const raw = await client.request({ op: 'list' }, { maxResponseBytes: 1 << 20 });
    expect(JSON.stringify(raw).length).toBeGreaterThan(16_384);
    const list = await client.list();
    expect({ shape: list.shape, count: list.count, pages: list.pages, labs: list.labs.length, complete: list.complete, unowned: list.unowned }).toEqual({ shape: 'labs', count: 400, pages: 1, labs: 200, complete: true, unowned: ['otp00000000ff'] });
    expect(list.labs.map((lab) => lab.lab_id)).toEqual(labs);
  });
});

describe('the client against the shared-bridge fake (upstream facts §2.5, in process)', () => {
  function shared() {
    const netd = new InProcessSharedNetd({ socketPath: SOCKET });
    return { netd, client: createNetdClient({ sockets: netd.sockets, socketPath: SOCKET, timeoutMs: 2000 }) };
  }

  it('recognises the design from hello and says what it read it from', async () => {
    const { client } = shared();
    await expect(client.hello()).resolves.toEqual({
      name: 'microvm-netd',
      api_version: 1,
      build_id: 'netd-1',
      supported_ops: ['alloc_vm_net', 'cleanup_port_forward', 'create', 'destroy', 'diag_vm_net', 'hello', 'list', 'ping', 'release_vm_net', 'setup_port_forward'],
      design: 'shared-bridge',
      design_evidence: "hello lists setup_port_forward and cleanup_port_forward (upstream's shared-bridge daemon)",
    });
  });

  it('allocates on the shared bridge with the guest parameters derived from the lab id', async () => {
    const { client, netd } = shared();
    const alloc = await client.alloc(LABS.one);
    expect(alloc).toEqual({
      lab_id: LABS.one,
      lab_id_suffix: '789abc',
      design: 'shared-bridge',
      bridge: 'br-octonet',
      tap: 'otp1234567812',
      // 0x1234 = 4660, 4660 % 254 + 1 = 89; 0x5678 = 22136, 22136 % 253 + 2 = 127
      guest_ip: '10.200.89.127',
      gateway: '10.200.0.1',
      netmask: '255.255.0.0',
      dns: '8.8.8.8',
      created: null,
      missing: [],
    } satisfies AllocView);
    expect(netd.tools.devices.get('otp1234567812')).toMatchObject({ kind: 'tap', up: true, master: 'br-octonet' });
  });

  it('diagnoses by the design: TAP enslaved to br-octonet, no ownership, unreported facts unknown', async () => {
    const { client } = shared();
    await client.alloc(LABS.one);
    const diag = await client.diag(LABS.one);
    expect(diag).toMatchObject({ design: 'shared-bridge', healthy: true, verdict: 'healthy', network_params: { guest_ip: '10.200.89.127', netmask: '255.255.0.0' } });
    expect(diag.bridge).toEqual({ name: 'br-octonet', exists: true, kind: null, up: null, state: null, master: null, owner_lab_id: null, owned: null, unknown: ['kind', 'up', 'state', 'master', 'owner_lab_id', 'owned'] });
    expect(diag.tap).toMatchObject({ name: 'otp1234567812', exists: true, state: 'down', master: 'br-octonet', owned: null, up: null });
    expect(diag.checks.map((c) => [c.name, c.ok])).toEqual([
      ['tap exists', true],
      ['bridge exists', true],
      ['tap enslaved to br-octonet', true],
      ['devices up', null],
      ['guest network parameters', true],
    ]);
  });

  it('finds a TAP that is not enslaved to the bridge the daemon named, whatever the daemon concludes', async () => {
    const { client, netd } = shared();
    await client.alloc(LABS.one);
    netd.tools.devices.get('otp1234567812')!.master = null;
    const diag = await client.diag(LABS.one);
    expect(diag.verdict).toBe('not-healthy');
    expect(diag.checks.find((c) => c.name === 'tap enslaved to br-octonet')).toEqual({ name: 'tap enslaved to br-octonet', ok: false, detail: 'the TAP has no master' });
  });

  it('lists interfaces + count with the shared bridge apart from the labs, and releases only the TAP', async () => {
    const { client, netd } = shared();
    netd.tools.seed({ name: 'obr00000000aa', kind: 'bridge' });
    await client.alloc(LABS.one);
    const list = await client.list();
    expect(list).toMatchObject({ design: 'shared-bridge', shape: 'interfaces', count: 3, complete: true, shared_bridges: ['br-octonet'], unowned: [] });
    expect(list.labs).toEqual([{ lab_prefix: '1234567812', lab_id: null, bridge: null, tap: 'otp1234567812' }]);
    expect(list.interfaces.find((e) => e.name === 'obr00000000aa')).toMatchObject({ legacy: true });
    await expect(client.release(LABS.one)).resolves.toEqual({ lab_id: LABS.one, lab_id_suffix: '789abc', design: 'shared-bridge', bridge_deleted: null, tap_deleted: 'otp1234567812' } satisfies ReleaseView);
    expect(netd.tools.names()).toEqual(['br-octonet', 'obr00000000aa']);
  });

  it("reads the nested handler errors and the flat dispatcher errors", async () => {
    const { client, netd } = shared();
    netd.tools.failOn((line) => line.startsWith('ip tuntap add'), 'ioctl(TUNSETIFF): Operation not permitted');
    expect(await failure(client.alloc(LABS.one))).toMatchObject({ code: 'EPERM', summary: expect.stringMatching(/^netd refused alloc_vm_net: EPERM: create otp1234567812: Operation not permitted/) });
    expect(await failure(client.request({ op: 'frobnicate' }))).toMatchObject({ code: 'UNKNOWN_OP', summary: 'netd refused frobnicate: UNKNOWN_OP: Unknown operation: frobnicate' });
  });
});

describe('the client against the contract replies of the per-lab reference daemon', () => {
  const hello = { ok: true, name: 'microvm-netd', api_version: 1, supported_ops: ['alloc_vm_net', 'create', 'destroy', 'diag_vm_net', 'hello', 'list', 'ping', 'release_vm_net'], build_id: 'octolab-verify-netd-1', design: 'per-lab' };
  const alloc = { ok: true, result: { lab_id: LABS.one, lab_id_suffix: '789abc', bridge: 'obr1234567812', tap: 'otp1234567812', guest_ip: '10.77.3.2', gateway: '10.77.3.1', netmask: '255.255.255.0', dns: '8.8.8.8', created: true } };

  it('reads hello\'s design field and every alloc field', async () => {
    const { client } = clientAnsweringOps({ hello, alloc_vm_net: alloc });
    await expect(client.hello()).resolves.toMatchObject({ design: 'per-lab', design_evidence: 'hello says design "per-lab"' });
    await expect(client.alloc(LABS.one)).resolves.toEqual({ ...alloc.result, design: 'per-lab', missing: [] });
  });

  it('reads a diag with network_params, and one whose network_params is null as a lab without addresses', async () => {
    const link = (name: string, master: string | null) => ({ name, exists: true, owner_lab_id: LABS.one, owned: true, kind: name.startsWith('obr') ? 'bridge' : 'tap', up: true, state: 'down', master });
    const result = (params: unknown, healthy: boolean) => ({ ok: true, result: { lab_id: LABS.one, lab_id_suffix: '789abc', bridge: link('obr1234567812', null), tap: { ...link('otp1234567812', 'obr1234567812'), owner_uid: null }, network_params: params, healthy } });
    const withParams = await clientAnsweringOps({ diag_vm_net: result({ guest_ip: '10.77.3.2', gateway: '10.77.3.1', netmask: '255.255.255.0', dns: '8.8.8.8' }, true) }).client.diag(LABS.one);
    expect(withParams).toMatchObject({ verdict: 'healthy', network_params: { guest_ip: '10.77.3.2' } });
    const without = await clientAnsweringOps({ diag_vm_net: result(null, false) }).client.diag(LABS.one);
    expect(without.verdict).toBe('not-healthy');
    expect(without.checks.at(-1)).toEqual({ name: 'guest network parameters', ok: false, detail: 'the daemon says the lab has none' });
  });

  it('fetches every page of a truncated list, with the offset the daemon names', async () => {
    const entries = Array.from({ length: 6 }, (_, i) => ({ name: `${i % 2 ? 'otp' : 'obr'}000000000${Math.floor(i / 2)}`, type: i % 2 ? 'tap' : 'bridge' }));
    const { client, requests } = clientAnsweringOps({
      list: (request: Record<string, unknown>) => {
        const offset = (request.offset as number | undefined) ?? 0;
        const page = entries.slice(offset, offset + 4);
        const more = offset + page.length < entries.length;
        return { ok: true, result: { interfaces: page, count: entries.length, truncated: more, ...(more ? { next_offset: offset + page.length } : {}) } };
      },
    });
    const list = await client.list();
    expect(requests).toEqual([{ op: 'list' }, { op: 'list', offset: 4 }]);
    expect(list).toMatchObject({ design: 'per-lab', pages: 2, count: 6, complete: true });
    expect(list.labs.map((lab) => [lab.bridge, lab.tap])).toEqual([
      ['obr0000000000', 'otp0000000000'],
      ['obr0000000001', 'otp0000000001'],
      ['obr0000000002', 'otp0000000002'],
    ]);
  });

  it('keeps devices without an owner record out of the labs and names them', async () => {
    const { client } = clientAnsweringOps({ list: { ok: true, result: { interfaces: [{ name: 'obr0000000000', type: 'bridge', owned: false }], count: 1, truncated: false } } });
    await expect(client.list()).resolves.toMatchObject({ labs: [], unowned: ['obr0000000000'] });
  });

  it.each([
    ['a next_offset that does not advance', { interfaces: [], count: 9, truncated: true, next_offset: 0 }, /next_offset 0 does not advance/],
    ['a count that is not a number', { interfaces: [], count: '9' }, /count is not a non-negative integer/],
    ['neither shape', { devices: [] }, /neither interfaces nor labs/],
    ['an entry whose name is not an interface name', { interfaces: [{ name: 'a b', type: 'tap' }] }, /interfaces\[0\]\.name/],
    ['labs naming another lab\'s device', { labs: [{ lab_id: LABS.one, bridge: 'obrabcdefabcd' }] }, /labs\[0\]\.bridge is not lab/],
  ])('treats a list with %s as NETD_PROTOCOL_ERROR', async (_label, result, message) => {
    const error = await failure(clientAnsweringOps({ list: { ok: true, result } }).client.list());
    expect(error.code).toBe('NETD_PROTOCOL_ERROR');
    expect(error.summary).toMatch(message);
  });

  it("reads a first page as large as an old daemon's whole list, but holds later pages to upstream's 16 KiB", async () => {
    const limits: number[] = [];
    const sockets = {
      unixRequest: async (_path: string, payload: Buffer, options: { maxResponseBytes: number }) => {
        limits.push(options.maxResponseBytes);
        const offset = (JSON.parse(payload.toString()) as { offset?: number }).offset ?? 0;
        return Buffer.from(JSON.stringify({ ok: true, result: { interfaces: [{ name: `otp000000000${offset}`, type: 'tap' }], count: 2, truncated: offset === 0, ...(offset === 0 ? { next_offset: 1 } : {}) } }));
      },
    };
    await createNetdClient({ sockets, socketPath: SOCKET }).list();
    expect(limits).toEqual([8 * 1024 * 1024, 16384]);
  });

  it('stops paging a daemon that never ends, after a bound', async () => {
    let page = 0;
    const { client } = clientAnsweringOps({ list: () => ({ ok: true, result: { interfaces: [{ name: `otp${(page++).toString(16).padStart(10, '0')}`, type: 'tap' }], truncated: true, next_offset: page } }) });
    expect((await failure(client.list())).summary).toMatch(/more than 256 pages/);
  });
});

describe('reading replies', () => {
  it.each([
    ['the flat envelope', { ok: false, error: 'NAME_IN_USE', message: 'obr… exists' } satisfies FlatErrorReply],
    ["upstream's nested envelope", { ok: false, error: { code: 'NAME_IN_USE', message: 'obr… exists' } } satisfies NestedErrorReply],
  ])('turns %s into a NetdError with the code and message', (_label, reply) => {
    expect(() => parseNetdReply(Buffer.from(JSON.stringify(reply)), 'alloc_vm_net')).toThrow(expect.objectContaining({ code: 'NAME_IN_USE', summary: 'netd refused alloc_vm_net: NAME_IN_USE: obr… exists' }));
  });

  it.each([
    ['an empty answer', ''],
    ['invalid JSON', '{"ok": tru'],
    ['a JSON array', '[true]'],
    ['alloc naming another lab\'s bridge', JSON.stringify({ ok: true, result: { bridge: 'obrabcdefabcd', tap: 'otp1234567812' } })],
    ['alloc naming a TAP as the bridge', JSON.stringify({ ok: true, result: { bridge: 'otp1234567812', tap: 'otp1234567812' } })],
    ['alloc naming a bridge no interface can have', JSON.stringify({ ok: true, result: { bridge: 'br octonet', tap: 'otp1234567812' } })],
    ['alloc naming another TAP', JSON.stringify({ ok: true, result: { bridge: 'br-octonet', tap: 'otp0000000000' } })],
    ['alloc with a guest_ip that is no IPv4 address', JSON.stringify({ ok: true, result: { bridge: 'br-octonet', tap: 'otp1234567812', guest_ip: '10.200.300.1' } })],
    ['alloc with a netmask that is not contiguous', JSON.stringify({ ok: true, result: { bridge: 'br-octonet', tap: 'otp1234567812', netmask: '255.0.255.0' } })],
    ['alloc with a dns of the wrong type', JSON.stringify({ ok: true, result: { bridge: 'br-octonet', tap: 'otp1234567812', dns: 8 } })],
    ['alloc with another lab\'s suffix', JSON.stringify({ ok: true, result: { bridge: 'br-octonet', tap: 'otp1234567812', lab_id_suffix: '000000' } })],
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

  it('reads only own keys: a reply with __proto__ and constructor keys neither pollutes nor passes for fields', async () => {
    const answer = '{"ok":true,"result":{"__proto__":{"tap":"otp1234567812","bridge":"br-octonet"},"constructor":{"name":"x"}}}';
    expect((await failure(clientAnswering(answer).alloc(LABS.one))).summary).toMatch(/expected tap otp1234567812, got nothing/);
    expect(({} as Record<string, unknown>).tap).toBeUndefined();
  });

  it('carries TOO_MANY_CONNECTIONS with a hint to retry and keep fewer requests in flight', async () => {
    const error = await failure(clientAnswering(JSON.stringify({ ok: false, error: 'TOO_MANY_CONNECTIONS', message: 'at most 128' })).ping());
    expect({ code: error.code, hint: error.hint }).toEqual({ code: 'TOO_MANY_CONNECTIONS', hint: expect.stringMatching(/retry shortly/) });
  });

  it('clips a hostile, huge error code and message instead of carrying them whole', async () => {
    const error = await failure(clientAnswering(JSON.stringify({ ok: false, error: 'X'.repeat(5000), message: 'm'.repeat(5000) })).ping());
    expect(error.code.length).toBeLessThanOrEqual(64);
    expect(error.summary.length).toBeLessThan(700);
  });

  it.each([
    ['a bare {"ok":true}', { ok: true }, { status: null, version: null, ts: null, missing: ['result'] }],
    ['a result without ts (the old per-lab daemon)', { ok: true, result: { status: 'ok', version: '1.0' } }, { status: 'ok', version: '1.0', ts: null, missing: ['result.ts'] }],
    ['another status', { ok: true, result: { status: 'degraded', version: '1.0', ts: 1 } }, { status: 'degraded', version: '1.0', ts: 1, missing: [] }],
  ])('accepts a ping with %s and names what it lacks', async (_label, reply, view) => {
    await expect(clientAnswering(JSON.stringify(reply)).ping()).resolves.toEqual(view);
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
      ['a master that is no interface name', { master: 'x y' }],
      ['another lab\'s TAP', { name: 'otp0000000000' }],
    ])('treats %s as NETD_PROTOCOL_ERROR', async (_label, tap) => {
      expect((await failure(clientAnswering(diag(tap)).diag(LABS.one))).code).toBe('NETD_PROTOCOL_ERROR');
    });
  });

  it('accepts an upstream-style release without bridge_deleted as the shared-bridge design', async () => {
    const answer = JSON.stringify({ ok: true, result: { tap_deleted: 'otp1234567812', lab_id_suffix: '789abc' } });
    await expect(clientAnswering(answer).release(LABS.one)).resolves.toEqual({ lab_id: LABS.one, lab_id_suffix: '789abc', design: 'shared-bridge', bridge_deleted: null, tap_deleted: 'otp1234567812' });
  });
});

describe('hello', () => {
  const hello = (fields: Record<string, unknown>) => JSON.stringify({ ok: true, name: 'microvm-netd', api_version: 1, supported_ops: ['alloc_vm_net', 'release_vm_net', 'diag_vm_net'], build_id: 'b', ...fields });

  it.each([
    ['a different api_version', hello({ api_version: 2 }), /API version mismatch: got 2, need 1/],
    ['no api_version', hello({ api_version: undefined }), /no api_version/],
    ['missing required ops', hello({ supported_ops: ['ping'] }), /Required ops: \[alloc_vm_net, release_vm_net, diag_vm_net\]; supported ops: \[ping\]/],
    ['an old daemon without hello', JSON.stringify({ ok: false, error: 'UNKNOWN_OP', message: 'Unknown operation: hello' }), /handshake failed \(missing hello\); likely outdated netd/],
    ['a design nobody knows', hello({ design: 'mesh' }), /design "mesh" is neither/],
  ])('refuses a daemon with %s', async (_label, answer, message) => {
    const error = await failure(clientAnswering(answer).hello());
    expect(['NETD_COMPAT_ERROR', 'NETD_PROTOCOL_ERROR']).toContain(error.code);
    expect(error.summary).toMatch(message);
  });

  it('identifies a daemon without hello as the old per-lab one instead of failing', async () => {
    const answer = JSON.stringify({ ok: false, error: 'UNKNOWN_OP', message: 'Unknown operation: hello' });
    await expect(clientAnswering(answer).identify()).resolves.toEqual({ hello: null, design: 'per-lab', design_evidence: 'no hello (UNKNOWN_OP): the old per-lab daemon, which predates the handshake' });
  });

  it.each([
    ['its build id alone', { build_id: 'netd-1' }, 'shared-bridge'],
    ["this project's build id", { build_id: 'octolab-verify-netd-1' }, 'per-lab'],
    ['nothing telling', {}, null],
  ])('infers the design from %s', async (_label, fields, design) => {
    await expect(clientAnswering(hello(fields)).hello()).resolves.toMatchObject({ design });
  });

  it('checks only the ops the caller names', async () => {
    await expect(clientAnswering(hello({ supported_ops: ['ping'] })).hello(['ping'])).resolves.toMatchObject({ api_version: 1 });
  });
});

describe('result shapes', () => {
  it('pins the shapes other engineers call', () => {
    expectTypeOf<AllocView>().toHaveProperty('created').toEqualTypeOf<boolean | null>();
    expectTypeOf<AllocView>().toHaveProperty('guest_ip').toEqualTypeOf<string | null>();
    expectTypeOf<ReleaseView>().toEqualTypeOf<{ lab_id: string; lab_id_suffix: string | null; design: 'per-lab' | 'shared-bridge'; bridge_deleted: string | null; tap_deleted: string | null }>();
    expectTypeOf(createNetdClient).returns.toHaveProperty('alloc').parameters.toEqualTypeOf<[string, CallOptions?]>();
  });
});
