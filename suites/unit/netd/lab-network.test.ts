import { describe, expect, it } from 'vitest';
import { FakeLinks } from '../../../fixtures/fake-links.ts';
import { NetdOpError } from '../../../lib/netd/errors.ts';
import { createAddressPool, DEFAULT_POOL_SETTINGS } from '../../../lib/netd/address-pool.ts';
import { createLabNetwork } from '../../../lib/netd/lab-network.ts';
import { labLinkNames, normaliseLabId } from '../../../lib/netd/names.ts';

const LAB = normaliseLabId('12345678-1234-4234-8234-123456789abc');
const TWIN = normaliseLabId('12345678-12ff-4fff-8fff-ffffffffffff'); // same first 10 hex digits
const OTHER = normaliseLabId('abcdefab-cdef-4abc-8def-abcdefabcdef');
const names = labLinkNames(LAB);
const pool = createAddressPool(DEFAULT_POOL_SETTINGS);
// 0x12345678 % 1024 = 0x278 = 632: 10.208.0.0 + 632 * 256 = 10.210.120.0/24.
const PARAMS = { guest_ip: '10.210.120.2', gateway: '10.210.120.1', netmask: '255.255.255.0', dns: '8.8.8.8' };

function setup(tapOwner: number | null = 1000) {
  const links = new FakeLinks();
  return { links, network: createLabNetwork({ links, tapOwner, pool }) };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetdOpError);
  return (error as NetdOpError).code;
}

describe('alloc', () => {
  it('creates an up bridge with the gateway address and an up TAP owned by the configured uid, enslaved, both carrying the owner alias, in one batch', async () => {
    const { links, network } = setup(1000);
    await expect(network.alloc(LAB)).resolves.toEqual({ lab_id: LAB, lab_id_suffix: '789abc', bridge: 'obr1234567812', tap: 'otp1234567812', ...PARAMS, created: true });
    expect(links.batches).toHaveLength(1);
    expect(links.batches[0]!.slice(0, 4)).toEqual([
      { op: 'add-bridge', name: names.bridge },
      { op: 'set-alias', name: names.bridge, alias: names.alias },
      { op: 'add-address', name: names.bridge, address: '10.210.120.1/24' },
      { op: 'set-up', name: names.bridge },
    ]);
    expect(links.table.get('obr1234567812')).toMatchObject({ kind: 'bridge', up: true, alias: names.alias, addresses: [{ address: '10.210.120.1', prefixLen: 24 }] });
    expect(links.table.get('otp1234567812')).toMatchObject({ kind: 'tap', up: true, alias: names.alias, master: 'obr1234567812', owner: 1000 });
  });

  it('is idempotent: a repeat changes nothing and reports created false', async () => {
    const { links, network } = setup();
    await network.alloc(LAB);
    await expect(network.alloc(LAB)).resolves.toEqual({ lab_id: LAB, lab_id_suffix: '789abc', bridge: names.bridge, tap: names.tap, ...PARAMS, created: false });
    expect(links.batches).toHaveLength(1);
  });

  it('repairs its own devices that are down or detached instead of failing', async () => {
    const { links, network } = setup();
    await network.alloc(LAB);
    links.table.get(names.tap)!.master = null;
    links.table.get(names.bridge)!.up = false;
    await network.alloc(LAB);
    expect(links.batches[1]!.map((op) => op.op)).toEqual(['set-up', 'set-master']);
    expect(links.table.get(names.tap)).toMatchObject({ master: names.bridge });
  });

  it('recreates a missing TAP next to its existing bridge', async () => {
    const { links, network } = setup();
    await network.alloc(LAB);
    links.table.delete(names.tap);
    await expect(network.alloc(LAB)).resolves.toMatchObject({ created: true });
    expect(links.labLinkNames()).toEqual([names.bridge, names.tap]);
  });

  it('refuses a second lab whose id shares the first 10 hex digits with LAB_COLLISION and touches nothing', async () => {
    const { links, network } = setup();
    await network.alloc(LAB);
    expect(await codeOf(network.alloc(TWIN))).toBe('LAB_COLLISION');
    expect(await codeOf(network.release(TWIN))).toBe('LAB_COLLISION');
    expect(links.batches).toHaveLength(1);
    expect(links.table.get(names.bridge)?.alias).toBe(names.alias);
  });

  it.each([
    ['a bridge without alias', { name: 'obr1234567812', kind: 'bridge' }],
    ['a TAP with a foreign alias', { name: 'otp1234567812', kind: 'tap', alias: 'made by hand' }],
    ['a dummy carrying this lab\'s alias', { name: 'obr1234567812', kind: 'dummy', alias: 'octolab:lab=12345678-1234-4234-8234-123456789abc' }],
    ['a tun (not tap) device carrying this lab\'s alias', { name: 'otp1234567812', kind: 'tun', alias: 'octolab:lab=12345678-1234-4234-8234-123456789abc' }],
  ])('refuses with NAME_IN_USE when the name is taken by %s, and never adopts or deletes it', async (_label, link) => {
    const { links, network } = setup();
    links.seed(link);
    expect(await codeOf(network.alloc(LAB))).toBe('NAME_IN_USE');
    expect(await codeOf(network.release(LAB))).toBe('NAME_IN_USE');
    expect(links.batches).toHaveLength(0);
    expect(links.table.get(link.name)).toMatchObject(link);
  });

  it.each([
    ['add-tap', 'CREATE_FAILED', 'OTHER'],
    ['set-master', 'ATTACH_FAILED', 'OTHER'],
    ['set-alias', 'ALIAS_FAILED', 'OTHER'],
    ['set-up', 'UP_FAILED', 'OTHER'],
    ['add-address', 'ADDRESS_FAILED', 'OTHER'],
    ['add-bridge', 'EPERM', 'EPERM'],
  ] as const)('maps a failed %s to %s and removes everything this request created', async (step, code, errno) => {
    const { links, network } = setup();
    links.failOn((op) => op.op === step && (step !== 'set-up' || op.name === names.tap), errno, 'boom');
    expect(await codeOf(network.alloc(LAB))).toBe(code);
    expect(links.labLinkNames()).toEqual([]);
  });

  it('rolls back only what it created when the failing step is unknown, leaving a device it found in place', async () => {
    const { links, network } = setup();
    await network.alloc(LAB);
    links.table.delete(names.tap);
    links.failOn((op) => op.op === 'set-master', 'OTHER', 'Error: argument is wrong', 1, true);
    expect(await codeOf(network.alloc(LAB))).toBe('CREATE_FAILED');
    expect(links.labLinkNames()).toEqual([names.bridge]);
  });

  it('re-plans once when a device appears under it, then refuses the foreign device with NAME_IN_USE', async () => {
    const { links, network } = setup();
    const original = links.apply.bind(links);
    let injected = false;
    links.apply = async (ops) => {
      if (!injected && ops[0]?.op === 'add-bridge') {
        injected = true;
        links.seed({ name: names.tap, kind: 'tap', alias: 'made by hand' }); // someone else creates the TAP mid-request
        links.failOn((op) => op.op === 'add-tap', 'EEXIST', 'RTNETLINK answers: File exists');
      }
      return original(ops);
    };
    expect(await codeOf(network.alloc(LAB))).toBe('NAME_IN_USE');
    expect(links.labLinkNames()).toEqual([names.tap]);
  });

  it('reports a failing link listing as LINK_QUERY_FAILED, or EPERM when the kernel said so', async () => {
    const { links, network } = setup();
    links.failQuery({ errno: 'OTHER', message: 'ip: not found' });
    expect(await codeOf(network.alloc(LAB))).toBe('LINK_QUERY_FAILED');
    links.failQuery({ errno: 'EPERM', message: 'Operation not permitted' });
    expect(await codeOf(network.list())).toBe('EPERM');
  });
});

describe('release', () => {
  it('deletes the TAP then the bridge and names both', async () => {
    const { links, network } = setup();
    await network.alloc(LAB);
    await expect(network.release(LAB)).resolves.toEqual({ lab_id: LAB, lab_id_suffix: '789abc', bridge_deleted: names.bridge, tap_deleted: names.tap });
    expect(links.batches[1]!.map((op) => `${op.op} ${op.name}`)).toEqual([`delete ${names.tap}`, `delete ${names.bridge}`]);
    expect(links.labLinkNames()).toEqual([]);
  });

  it('is idempotent: releasing a lab with nothing left succeeds with nulls', async () => {
    const { links, network } = setup();
    await expect(network.release(LAB)).resolves.toEqual({ lab_id: LAB, lab_id_suffix: '789abc', bridge_deleted: null, tap_deleted: null });
    expect(links.batches).toHaveLength(0);
  });

  it('maps a failed delete to DELETE_FAILED and succeeds when the device vanished meanwhile', async () => {
    const { links, network } = setup();
    await network.alloc(LAB);
    links.failOn((op) => op.op === 'delete', 'EBUSY', 'Device or resource busy');
    expect(await codeOf(network.release(LAB))).toBe('DELETE_FAILED');
    links.failOn((op) => op.op === 'delete', 'ENODEV', 'Cannot find device');
    await expect(network.release(LAB)).resolves.toMatchObject({ tap_deleted: names.tap });
    expect(links.labLinkNames()).toEqual([]);
  });
});

describe('diag and list', () => {
  it('share one link listing among concurrent calls, and read afresh after an alloc', async () => {
    const { links, network } = setup();
    links.latencyMs = 10;
    const before = links.queries;
    const answers = await Promise.all([...Array.from({ length: 50 }, () => network.diag(LAB)), network.list(), network.list()]);
    expect(links.queries - before).toBe(1);
    expect(answers.slice(0, 50).every((diag) => 'healthy' in diag && diag.healthy === false)).toBe(true);
    await network.alloc(LAB);
    await expect(network.diag(LAB)).resolves.toMatchObject({ healthy: true });
  });

  it('reports both devices, their owner, the guest parameters and a healthy verdict', async () => {
    const { network } = setup(4242);
    await network.alloc(LAB);
    const diag = await network.diag(LAB);
    expect(diag).toMatchObject({ lab_id: LAB, lab_id_suffix: '789abc', network_params: PARAMS, healthy: true });
    expect(diag.bridge).toMatchObject({ name: names.bridge, exists: true, owned: true, owner_lab_id: LAB, kind: 'bridge', up: true });
    expect(diag.tap).toMatchObject({ name: names.tap, kind: 'tap', master: names.bridge, owner_uid: 4242, owner_expected: 4242, owner_matches: true, up: true, state: 'down' });
  });

  it.each([
    ['another uid', 4242, 5555],
    ['no owner where one is configured', null, 5555],
    ['an owner where none is configured', 4242, null],
  ])('calls a lab unhealthy when its TAP has %s (the VMM user may be refused it)', async (_what, found, wanted) => {
    const { links } = setup(found);
    await createLabNetwork({ links, tapOwner: found, pool }).alloc(LAB);
    const diag = await createLabNetwork({ links, tapOwner: wanted, pool }).diag(LAB);
    expect(diag).toMatchObject({ healthy: false, tap: { owned: true, up: true, master: names.bridge, owner_uid: found, owner_expected: wanted, owner_matches: false } });
  });

  it('calls a lab unhealthy when its TAP is detached, and reports absent devices', async () => {
    const { links, network } = setup();
    await network.alloc(LAB);
    links.table.get(names.tap)!.master = null;
    expect((await network.diag(LAB)).healthy).toBe(false);
    const absent = await network.diag(OTHER);
    expect(absent).toMatchObject({ healthy: false, network_params: null, bridge: { exists: false, owned: false, kind: null, state: null } });
  });

  it('calls a lab unhealthy, with network_params null, when its bridge carries no address of the pool', async () => {
    const { links, network } = setup();
    await network.alloc(LAB);
    links.table.get(names.bridge)!.addresses = [{ address: '192.168.7.1', prefixLen: 24 }];
    await expect(network.diag(LAB)).resolves.toMatchObject({ network_params: null, healthy: false, bridge: { owned: true, up: true } });
  });

  it('lists every obr/otp device in upstream\'s entry format, by prefix with the bridge first, unowned ones marked', async () => {
    const { links, network } = setup();
    await network.alloc(OTHER);
    await network.alloc(LAB);
    links.seed({ name: 'otp0000000000', kind: 'tap' });
    expect(await network.list()).toEqual({
      interfaces: [
        { name: 'otp0000000000', type: 'tap', owned: false },
        { name: names.bridge, type: 'bridge' },
        { name: names.tap, type: 'tap' },
        { name: 'obrabcdefabcd', type: 'bridge' },
        { name: 'otpabcdefabcd', type: 'tap' },
      ],
      count: 5,
      truncated: false,
    });
  });

  it('does not count a device as owned when its alias names a lab whose derived name differs', async () => {
    const { links, network } = setup();
    links.seed({ name: 'obr0000000000', kind: 'bridge', alias: `octolab:lab=${OTHER}` });
    expect(await network.list()).toEqual({ interfaces: [{ name: 'obr0000000000', type: 'bridge', owned: false }], count: 1, truncated: false });
  });
});

describe('concurrency', () => {
  it('serialises requests for one lab: concurrent alloc/release pairs never overlap and end consistent', async () => {
    const { links, network } = setup();
    links.latencyMs = 2;
    const calls = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? network.alloc(LAB) : network.release(LAB)));
    await Promise.all(calls);
    expect(links.overlaps).toEqual([]);
    expect(links.labLinkNames()).toEqual([]); // the last call was a release
  });

  it('serialises colliding labs too, so exactly one of them wins', async () => {
    const { links, network } = setup();
    links.latencyMs = 2;
    const results = await Promise.allSettled([network.alloc(LAB), network.alloc(TWIN)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(links.overlaps).toEqual([]);
  });

  it('runs different labs concurrently', async () => {
    const { links, network } = setup();
    links.latencyMs = 5;
    const labs = Array.from({ length: 16 }, (_, i) => normaliseLabId(`${(i + 1).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`));
    await Promise.all(labs.map((lab) => network.alloc(lab)));
    expect(links.maxConcurrentBatches).toBeGreaterThan(1);
    expect(links.labLinkNames()).toHaveLength(32);
    await Promise.all(labs.map((lab) => network.release(lab)));
    expect(links.labLinkNames()).toEqual([]);
  });
});
