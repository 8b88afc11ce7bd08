import { describe, expect, it } from 'vitest';
import { FakeLinks } from '../../../fixtures/fake-links.ts';
import { createAddressPool, DEFAULT_POOL_SETTINGS, type AddressPool } from '../../../lib/netd/address-pool.ts';
import { NetdOpError } from '../../../lib/netd/errors.ts';
import { createLabNetwork } from '../../../lib/netd/lab-network.ts';
import type { Links } from '../../../lib/netd/links.ts';
import { labLinkNames, normaliseLabId, type LabId } from '../../../lib/netd/names.ts';

/** A lab id whose first 8 hex digits are `lead` (its preferred slot is lead % slots); `n` (< 256) makes its device names unique. */
function lab(lead: number, n = 0): LabId {
  return normaliseLabId(`${lead.toString(16).padStart(8, '0')}-${n.toString(16).padStart(2, '0')}00-4000-8000-000000000000`);
}

function network(links = new FakeLinks(), pool: AddressPool = createAddressPool(DEFAULT_POOL_SETTINGS)) {
  return { links, network: createLabNetwork({ links, tapOwner: null, pool }) };
}

/** Gateway addresses on the obr devices of the table. */
function gateways(links: FakeLinks): string[] {
  return [...links.table.values()].filter((link) => link.kind === 'bridge').flatMap((link) => link.addresses.map((a) => `${a.address}/${a.prefixLen}`));
}

describe('lab subnets', () => {
  it('gives every lab of a full pool its own subnet, refuses one more with POOL_EXHAUSTED naming pool and fix, and frees a subnet on release', async () => {
    const pool = createAddressPool({ pool: '10.90.0.0/22', labPrefixLen: 24, dns: '8.8.8.8' });
    const { links, network: net } = network(new FakeLinks(), pool);
    const labs = [0, 0, 1, 7].map((lead, n) => lab(lead, n + 1)); // two prefer slot 0; 7 % 4 = 3
    const allocated = [];
    for (const id of labs) allocated.push(await net.alloc(id));
    expect(allocated.map((a) => a.gateway)).toEqual(['10.90.0.1', '10.90.1.1', '10.90.2.1', '10.90.3.1']);
    expect(new Set(allocated.map((a) => a.guest_ip)).size).toBe(4);
    const error = await net.alloc(lab(2, 9)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetdOpError);
    expect(error).toMatchObject({ code: 'POOL_EXHAUSTED' });
    expect((error as NetdOpError).summary).toBe(
      'no free /24 subnet left in the address pool 10.90.0.0/22 (4 subnets, all in use); release labs that are gone, or restart microvm-netd with a larger --pool (OCTOLAB_NETD_POOL) or a longer --prefix-len (OCTOLAB_NETD_PREFIX_LEN)',
    );
    expect(links.labLinkNames()).toHaveLength(8); // the refused alloc created nothing
    await net.release(labs[1]!); // held 10.90.1.0/24 after probing
    await expect(net.alloc(lab(2, 9))).resolves.toMatchObject({ gateway: '10.90.1.1', guest_ip: '10.90.1.2' });
  });

  it('probes upward from the preferred slot and wraps around the end of the pool', async () => {
    const pool = createAddressPool({ pool: '10.90.0.0/22', labPrefixLen: 24, dns: '8.8.8.8' });
    const { network: net } = network(new FakeLinks(), pool);
    await net.alloc(lab(3, 1));
    await expect(net.alloc(lab(3, 2))).resolves.toMatchObject({ gateway: '10.90.0.1' });
  });

  it('knows every lab\'s subnet after a restart from the addresses on the bridges, and never hands one out twice', async () => {
    const links = new FakeLinks();
    const first = network(links).network;
    const a = await first.alloc(lab(5, 1));
    const b = await first.alloc(lab(5, 2)); // probed to the next slot
    const second = network(links).network; // a new daemon over the same devices
    await expect(second.alloc(lab(5, 1))).resolves.toEqual({ ...a, created: false });
    await expect(second.diag(lab(5, 2))).resolves.toMatchObject({ network_params: { guest_ip: b.guest_ip, gateway: b.gateway } });
    const c = await second.alloc(lab(5, 3));
    expect(new Set([a.gateway, b.gateway, c.gateway]).size).toBe(3);
    expect(links.batches.at(-1)!.filter((op) => op.op === 'add-address')).toHaveLength(1);
  });

  it('never gives two labs one subnet when their allocs run concurrently with the same preferred slot', async () => {
    const { links, network: net } = network();
    links.latencyMs = 3;
    const labs = Array.from({ length: 24 }, (_, n) => lab(42, n + 1));
    const results = await Promise.all(labs.map((id) => net.alloc(id)));
    expect(links.maxConcurrentBatches).toBeGreaterThan(1);
    expect(new Set(results.map((r) => r.gateway)).size).toBe(24);
    expect(new Set(gateways(links)).size).toBe(24);
    await Promise.all(labs.slice(0, 12).map((id) => net.release(id)));
    const again = await Promise.all(Array.from({ length: 12 }, (_, n) => net.alloc(lab(42, 100 + n))));
    expect(new Set([...results.slice(12), ...again].map((r) => r.gateway)).size).toBe(24);
  });

  it('counts a subnet settled after another alloc\'s device listing began, which that listing cannot show', async () => {
    const links = new FakeLinks();
    /** A promise and the function that settles it. */
    const latch = () => {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      return { open, opened };
    };
    const applying = latch();
    const applyMayFinish = latch();
    const listing = latch();
    const listingMayReturn = latch();
    let lists = 0;
    // A's batch is slow; B's listing is read at once (as `ip` reads the kernel) but returns only after A's batch.
    const slow: Links = {
      listLabLinks: async () => {
        const snapshot = await links.listLabLinks();
        if (++lists === 2) {
          listing.open();
          await listingMayReturn.opened;
        }
        return snapshot;
      },
      apply: async (ops) => {
        if (ops[0]?.op === 'add-bridge' && ops[0].name === labLinkNames(lab(77, 1)).bridge) {
          applying.open();
          await applyMayFinish.opened;
        }
        return links.apply(ops);
      },
    };
    const net = createLabNetwork({ links: slow, tapOwner: null, pool: createAddressPool(DEFAULT_POOL_SETTINGS) });
    const a = net.alloc(lab(77, 1));
    await applying.opened;
    const b = net.alloc(lab(77, 2));
    await listing.opened;
    applyMayFinish.open();
    await expect(a).resolves.toMatchObject({ gateway: '10.208.77.1' });
    listingMayReturn.open();
    await expect(b).resolves.toMatchObject({ gateway: '10.208.78.1' });
  });

  it('adds the gateway address to a lab whose bridge has none (devices made by the previous version), changing nothing else', async () => {
    const { links, network: net } = network();
    const id = lab(0x12345678, 1);
    const names = labLinkNames(id);
    await net.alloc(id);
    links.table.get(names.bridge)!.addresses = [];
    await expect(net.diag(id)).resolves.toMatchObject({ network_params: null, healthy: false });
    const repaired = await net.alloc(id);
    expect(repaired).toMatchObject({ created: false, gateway: '10.210.120.1' });
    expect(links.batches.at(-1)).toEqual([{ op: 'add-address', name: names.bridge, address: '10.210.120.1/24' }]);
    await expect(net.diag(id)).resolves.toMatchObject({ healthy: true });
  });

  it('keeps an address outside the pool and adds one of the pool next to it', async () => {
    const { links, network: net } = network();
    const id = lab(9, 1);
    const names = labLinkNames(id);
    await net.alloc(id);
    links.table.get(names.bridge)!.addresses = [{ address: '192.168.50.1', prefixLen: 24 }];
    await net.alloc(id);
    expect(links.table.get(names.bridge)!.addresses).toEqual([
      { address: '192.168.50.1', prefixLen: 24 },
      { address: '10.208.9.1', prefixLen: 24 },
    ]);
  });

  it('skips a slot that another device\'s address overlaps, even one that is not a gateway of the pool', async () => {
    const { links, network: net } = network();
    links.seed({ name: 'obr0000000000', kind: 'bridge', addresses: [{ address: '10.208.4.200', prefixLen: 23 }] });
    await expect(net.alloc(lab(4, 1))).resolves.toMatchObject({ gateway: '10.208.6.1' });
  });

  it('rolls back an address it added to an existing bridge when a later step fails, and frees the slot', async () => {
    const { links, network: net } = network();
    const id = lab(11, 1);
    const names = labLinkNames(id);
    await net.alloc(id);
    links.table.get(names.bridge)!.addresses = [];
    links.table.get(names.tap)!.up = false;
    links.failOn((op) => op.op === 'set-up' && op.name === names.tap, 'OTHER', 'RTNETLINK answers: Network is down');
    await expect(net.alloc(id)).rejects.toMatchObject({ code: 'UP_FAILED' });
    expect(links.batches.at(-1)).toEqual([{ op: 'del-address', name: names.bridge, address: '10.208.11.1/24' }]);
    expect(links.table.get(names.bridge)!.addresses).toEqual([]);
    await expect(net.alloc(lab(11, 2))).resolves.toMatchObject({ gateway: '10.208.11.1' });
  });

  it('answers ADDRESS_FAILED when the kernel refuses the address, and leaves nothing it created', async () => {
    const { links, network: net } = network();
    links.failOn((op) => op.op === 'add-address', 'OTHER', 'RTNETLINK answers: Invalid argument');
    const error = await net.alloc(lab(1, 1)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ADDRESS_FAILED', summary: expect.stringMatching(/^add-address obr0000000101 failed \(OTHER\): RTNETLINK answers: Invalid argument$/) });
    expect(links.labLinkNames()).toEqual([]);
  });

  it('refuses to adopt a bridge without alias that carries an address (an interrupted alloc leaves none)', async () => {
    const { links, network: net } = network();
    const id = lab(1, 1);
    links.seed({ name: labLinkNames(id).bridge, kind: 'bridge', up: false, addresses: [{ address: '10.1.1.1', prefixLen: 24 }] });
    await expect(net.alloc(id)).rejects.toMatchObject({ code: 'NAME_IN_USE', summary: expect.stringMatching(/carries an address \(10\.1\.1\.1\/24\)/) });
    expect(links.batches).toEqual([]);
  });
});
