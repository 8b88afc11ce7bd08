import { describe, expect, it } from 'vitest';
import { FakeLinks } from '../../../fixtures/fake-links.ts';
import { NetdOpError } from '../../../lib/netd/errors.ts';
import { createAddressPool, DEFAULT_POOL_SETTINGS } from '../../../lib/netd/address-pool.ts';
import { createLabNetwork } from '../../../lib/netd/lab-network.ts';
import { planAlloc } from '../../../lib/netd/link-plan.ts';
import { labLinkNames, normaliseLabId } from '../../../lib/netd/names.ts';

const LAB = normaliseLabId('12345678-1234-4234-8234-123456789abc');
const names = labLinkNames(LAB);

/** A daemon's lab operations over `links`, as started with --tap-owner `tapOwner`; `log` collects its notes. */
function daemonWith(links: FakeLinks, tapOwner: number | null) {
  const log: string[] = [];
  return { log, network: createLabNetwork({ links, tapOwner, pool: createAddressPool(DEFAULT_POOL_SETTINGS), log: (line) => log.push(line) }) };
}

async function refusalOf(promise: Promise<unknown>): Promise<NetdOpError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetdOpError);
  return error as NetdOpError;
}

describe('alloc when the TAP was made for another --tap-owner', () => {
  // Regression: alloc returned the existing TAP as it was, so after a restart with a new
  // --tap-owner an unprivileged Firecracker got EPERM on TUNSETIFF.
  it.each([
    ['up without carrier', true],
    ['down', false],
  ])('recreates a TAP that nothing holds (%s) with the configured owner, same name, alias, master and up, in one batch', async (_label, up) => {
    const links = new FakeLinks();
    await daemonWith(links, 1000).network.alloc(LAB);
    links.table.get(names.tap)!.up = up;
    const { network, log } = daemonWith(links, 2000);
    await expect(network.alloc(LAB)).resolves.toMatchObject({ lab_id: LAB, bridge: names.bridge, tap: names.tap, created: true });
    expect(links.batches).toHaveLength(2);
    expect(links.batches[1]!.map((op) => `${op.op} ${op.name}`)).toEqual([
      `delete-tap ${names.tap}`,
      `add-tap ${names.tap}`,
      `set-alias ${names.tap}`,
      `set-master ${names.tap}`,
      `set-up ${names.tap}`,
    ]);
    expect(links.table.get(names.tap)).toMatchObject({ kind: 'tap', owner: 2000, alias: names.alias, master: names.bridge, up: true });
    expect(log).toEqual([`lab ${LAB}: replacing ${names.tap}: owned by uid 1000, configured uid 2000`]);
    await expect(network.alloc(LAB)).resolves.toMatchObject({ created: false });
    expect(links.batches).toHaveLength(2);
  });

  it('recreates a TAP with an owner as ownerless when the daemon now runs without --tap-owner', async () => {
    const links = new FakeLinks();
    await daemonWith(links, 1000).network.alloc(LAB);
    await daemonWith(links, null).network.alloc(LAB);
    expect(links.table.get(names.tap)).toMatchObject({ owner: null, alias: names.alias, master: names.bridge });
  });

  it('refuses with TAP_OWNER_MISMATCH, naming both uids, and touches nothing when a process holds the up TAP', async () => {
    const links = new FakeLinks();
    await daemonWith(links, 1000).network.alloc(LAB);
    links.attach(names.tap);
    const error = await refusalOf(daemonWith(links, 2000).network.alloc(LAB));
    expect(error.code).toBe('TAP_OWNER_MISMATCH');
    expect(error.summary).toMatch(/otp1234567812 is owned by uid 1000, but this daemon gives TAPs to uid 2000 .*a process has it open.*--tap-owner 1000/);
    expect(links.batches).toHaveLength(1);
    expect(links.table.get(names.tap)).toMatchObject({ owner: 1000, alias: names.alias, master: names.bridge });
  });

  it('refuses with TAP_OWNER_MISMATCH on the kernel\'s EBUSY when the held TAP is down (no carrier to read), with nothing changed', async () => {
    const links = new FakeLinks();
    await daemonWith(links, 1000).network.alloc(LAB);
    links.attach(names.tap);
    links.table.get(names.tap)!.up = false;
    const error = await refusalOf(daemonWith(links, 2000).network.alloc(LAB));
    expect(error.code).toBe('TAP_OWNER_MISMATCH');
    expect(error.summary).toMatch(/a process holds it open \(the kernel refused to delete it: EBUSY\)/);
    expect(links.batches[1]![0]).toEqual({ op: 'delete-tap', name: names.tap });
    expect(links.table.get(names.tap)).toMatchObject({ owner: 1000, alias: names.alias, master: names.bridge, up: false });
    expect(links.table.get(names.bridge)).toMatchObject({ alias: names.alias, up: true });
  });
});

describe('devices without an ownership record (an interrupted alloc)', () => {
  const fullAlloc = planAlloc(names, new Map(), 1000);
  if (fullAlloc.action !== 'apply') throw new Error('a fresh alloc must apply');

  // The ip batch is not atomic: a daemon that dies after step k leaves the first k steps done.
  it.each(Array.from({ length: fullAlloc.ops.length - 1 }, (_, i) => [i + 1, fullAlloc.ops[i]!.op]))(
    'finishes the lab when the previous daemon died after step %i (%s): both devices owned, healthy, owner as configured',
    async (steps) => {
      const links = new FakeLinks();
      await links.apply(fullAlloc.ops.slice(0, steps));
      const { network } = daemonWith(links, 1000);
      await expect(network.alloc(LAB)).resolves.toMatchObject({ bridge: names.bridge, tap: names.tap });
      await expect(network.diag(LAB)).resolves.toMatchObject({ healthy: true, tap: { owner_uid: 1000 } });
      expect((await network.list()).interfaces).toEqual([
        { name: names.bridge, type: 'bridge' },
        { name: names.tap, type: 'tap' },
      ]);
      await expect(network.release(LAB)).resolves.toMatchObject({ bridge_deleted: names.bridge, tap_deleted: names.tap });
    },
  );

  it('adopts a bridge without alias that is down and not enslaved by recording the alias and setting it up, never re-creating it', async () => {
    const links = new FakeLinks().seed({ name: names.bridge, kind: 'bridge', up: false });
    const { network, log } = daemonWith(links, null);
    await network.alloc(LAB);
    expect(links.batches[0]!.slice(0, 3)).toEqual([
      { op: 'set-alias', name: names.bridge, alias: names.alias },
      { op: 'add-address', name: names.bridge, address: '10.210.120.1/24' },
      { op: 'set-up', name: names.bridge },
    ]);
    expect(links.batches[0]!.some((op) => op.op === 'add-bridge')).toBe(false);
    expect(log[0]).toMatch(/adopting obr1234567812: a bridge without owner alias/);
  });

  it('adopts a TAP without alias that nothing holds by replacing it with the configured owner (delete-tap first)', async () => {
    const links = new FakeLinks();
    await daemonWith(links, 1000).network.alloc(LAB);
    Object.assign(links.table.get(names.tap)!, { alias: null, master: null, up: false, owner: 7 });
    const { network, log } = daemonWith(links, 1000);
    await network.alloc(LAB);
    expect(links.batches[1]![0]).toEqual({ op: 'delete-tap', name: names.tap });
    expect(links.table.get(names.tap)).toMatchObject({ alias: names.alias, owner: 1000, master: names.bridge, up: true });
    expect(log[0]).toMatch(/adopting otp1234567812: a TAP without owner alias/);
  });

  it.each([
    ['a bridge that is up (someone uses it)', [{ name: 'obr1234567812', kind: 'bridge', up: true }], /is up/],
    ['a bridge enslaved to another bridge', [{ name: 'obr1234567812', kind: 'bridge', up: false, master: 'obr9999999999' }], /enslaved to obr9999999999/],
    ['a TAP enslaved to another bridge', [{ name: 'obr9999999999', kind: 'bridge' }, { name: 'otp1234567812', kind: 'tap', master: 'obr9999999999' }], /another bridge \(obr9999999999\)/],
    ['a tun device', [{ name: 'otp1234567812', kind: 'tun', up: false }], /is a tun, not a tap/],
  ])('refuses with NAME_IN_USE and leaves untouched %s', async (_label, seeds, why) => {
    const links = new FakeLinks();
    for (const seed of seeds) links.seed(seed);
    const before = structuredClone([...links.table.values()]);
    const error = await refusalOf(daemonWith(links, 1000).network.alloc(LAB));
    expect(error.code).toBe('NAME_IN_USE');
    expect(error.summary).toMatch(why);
    expect(links.batches).toEqual([]);
    expect([...links.table.values()]).toEqual(before);
  });

  it.each([
    ['up, so its carrier shows it', true],
    ['down, so only the kernel\'s EBUSY shows it', false],
  ])('refuses with NAME_IN_USE a TAP without alias that a process holds open (%s), and leaves it in place', async (_label, up) => {
    const links = new FakeLinks().seed({ name: names.tap, kind: 'tap', up, owner: 7 }).attach(names.tap);
    const error = await refusalOf(daemonWith(links, 1000).network.alloc(LAB));
    expect(error.code).toBe('NAME_IN_USE');
    expect(error.summary).toMatch(/a process (has|holds) it open/);
    expect(links.labLinkNames()).toEqual([names.tap]);
    expect(links.table.get(names.tap)).toMatchObject({ alias: null, owner: 7 });
  });

  it('never adopts on release: a device without alias blocks it with NAME_IN_USE, and list reports it as unowned', async () => {
    const links = new FakeLinks();
    const { network } = daemonWith(links, 1000);
    await network.alloc(LAB);
    links.table.get(names.tap)!.alias = null;
    const error = await refusalOf(network.release(LAB));
    expect(error.code).toBe('NAME_IN_USE');
    expect(error.summary).toMatch(/alloc this lab again to adopt it/);
    expect(links.labLinkNames()).toEqual([names.bridge, names.tap]);
    expect((await network.list()).interfaces).toEqual([
      { name: names.bridge, type: 'bridge' },
      { name: names.tap, type: 'tap', owned: false },
    ]);
  });
});
