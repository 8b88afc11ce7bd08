import path from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessNetd, type InProcessNetdOptions } from '../../../fixtures/fake-netd.ts';
import { NetworkError, UPSTREAM_ALLOC_FIELDS, UPSTREAM_MAX_RESPONSE_SIZE, UpstreamNetdClient } from '../../../fixtures/upstream-netd-client.ts';
import { createAddressPool } from '../../../lib/netd/address-pool.ts';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { LABS } from './support.ts';

/**
 * Conformance: OctoLab's own client (modelled in fixtures/upstream-netd-client.ts, as the backend
 * uses it) against the reference daemon's real request handling on a real unix socket. Each test
 * is something the backend does; a failure here is a failure in production.
 */

let tmp: DirectoryResult | null = null;
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await tmp?.cleanup();
  tmp = null;
});

/** The reference daemon (over FakeLinks) on a real socket in a temp dir, and upstream's client of it. */
async function served(options: InProcessNetdOptions = {}): Promise<{ netd: InProcessNetd; client: UpstreamNetdClient }> {
  tmp ??= await dir({ unsafeCleanup: true });
  const socketPath = path.join(tmp.path, `netd-${stops.length}.sock`);
  const netd = new InProcessNetd(options);
  const listener = await netd.listen(socketPath);
  stops.push(() => listener.close());
  return { netd, client: new UpstreamNetdClient({ socketPath }) };
}

/** Lab ids with distinct first 10 hex digits. */
function labId(i: number): string {
  return `${i.toString(16).padStart(8, '0')}-00aa-4000-8000-0000000000${(i % 256).toString(16).padStart(2, '0')}`;
}

describe('upstream\'s client against the reference daemon', () => {
  it('passes the handshake: api_version 1 and the three required ops; hello names the per-lab design', async () => {
    const { client } = await served();
    const hello = await client.ensureCompatible();
    expect(hello).toMatchObject({ ok: true, name: 'microvm-netd', api_version: 1, design: 'per-lab' });
    await expect(client.pingNetd()).resolves.toEqual([true, null]);
  });

  it('allocates with alloc_vm_net: all six fields, the lab\'s own bridge, a /24 that upstream maps to cidr_prefix 24', async () => {
    const { netd, client } = await served();
    const params = await client.allocVmNet(LABS.one.toUpperCase());
    expect(params).toEqual({ tap: 'otp1234567812', guest_ip: '10.210.120.2', gateway: '10.210.120.1', netmask: '255.255.255.0', dns: '8.8.8.8', bridge: 'obr1234567812', cidr_prefix: 24 });
    for (const field of UPSTREAM_ALLOC_FIELDS) expect(params[field]).toMatch(/\S/);
    expect(netd.links.table.get('obr1234567812')?.addresses).toEqual([{ address: '10.210.120.1', prefixLen: 24 }]);
    // The backend may call it again for a lab it already set up: same answer.
    await expect(client.allocVmNet(LABS.one)).resolves.toEqual(params);
  });

  it('reads diag_vm_net with the same network_params, then releases with release_vm_net (true, devices gone, twice)', async () => {
    const { netd, client } = await served();
    const params = await client.allocVmNet(LABS.one);
    const diag = await client.diagVmNet(LABS.one);
    expect(diag).toMatchObject({ lab_id_suffix: LABS.one.slice(-6), healthy: true, network_params: { guest_ip: params.guest_ip, gateway: params.gateway, netmask: params.netmask, dns: params.dns } });
    await expect(client.releaseVmNet(LABS.one)).resolves.toBe(true);
    expect(netd.links.labLinkNames()).toEqual([]);
    await expect(client.releaseVmNet(LABS.one)).resolves.toBe(true);
  });

  it('serves the legacy create (bridge and tap present) and destroy', async () => {
    const { netd, client } = await served();
    await expect(client.createLabNet(LABS.other)).resolves.toEqual({ bridge: 'obrabcdefabcd', tap: 'otpabcdefabcd' });
    await expect(client.destroyLabNet(LABS.other)).resolves.toBe(true);
    expect(netd.links.labLinkNames()).toEqual([]);
  });

  it('turns the daemon\'s flat errors into codes the backend sees: INVALID_LAB_ID, POOL_EXHAUSTED (ALLOC_FAILED around it)', async () => {
    const { client } = await served({ pool: createAddressPool({ pool: '10.77.0.0/24', labPrefixLen: 24, dns: '1.1.1.1' }) });
    await expect(client.call('alloc_vm_net', { lab_id: 'not-a-uuid' })).rejects.toMatchObject({ code: 'INVALID_LAB_ID' });
    await expect(client.allocVmNet(LABS.one)).resolves.toMatchObject({ guest_ip: '10.77.0.2', dns: '1.1.1.1' });
    const exhausted = await client.allocVmNet(LABS.other).catch((e: unknown) => e);
    expect(exhausted).toBeInstanceOf(NetworkError);
    expect(exhausted).toMatchObject({ code: 'ALLOC_FAILED', detail: expect.stringMatching(/^POOL_EXHAUSTED: no free \/24 subnet left in the address pool 10\.77\.0\.0\/24.*--pool/) });
    await expect(client.call('alloc_vm_net', { lab_id: LABS.other })).rejects.toMatchObject({ code: 'POOL_EXHAUSTED' });
  });

  it('lists 150 labs in one reply that upstream reads whole: 300 entries, count 300, under 16,384 bytes', async () => {
    const { client } = await served();
    const labs = Array.from({ length: 150 }, (_, i) => labId(i + 1));
    for (const lab of labs) await client.allocVmNet(lab);
    const list = await client.listInterfaces();
    expect(client.lastResponse!.length).toBeLessThanOrEqual(UPSTREAM_MAX_RESPONSE_SIZE);
    expect(list).toMatchObject({ count: 300, truncated: false });
    const names = (list.interfaces as { name: string; type: string }[]).map((entry) => `${entry.type}:${entry.name}`);
    expect(names).toEqual(labs.flatMap((lab) => [`bridge:${labLinkNames(lab).bridge}`, `tap:${labLinkNames(lab).tap}`]));
  });

  it('beyond what fits, answers one valid document that says truncated, with the full count; next_offset pages reach every device once', async () => {
    const { client } = await served();
    const labs = Array.from({ length: 400 }, (_, i) => labId(i + 1));
    for (const lab of labs) await client.allocVmNet(lab);
    const first = await client.listInterfaces();
    expect(first).toMatchObject({ count: 800, truncated: true, next_offset: expect.any(Number) });
    const seen: string[] = [];
    let page = first;
    for (;;) {
      expect(client.lastResponse!.length).toBeLessThanOrEqual(UPSTREAM_MAX_RESPONSE_SIZE);
      seen.push(...(page.interfaces as { name: string }[]).map((entry) => entry.name));
      expect(page.count).toBe(800);
      if (!page.truncated) break;
      expect(page.next_offset).toBe(seen.length);
      page = await client.call('list', { offset: page.next_offset });
    }
    expect(seen).toHaveLength(800);
    expect(new Set(seen).size).toBe(800);
  });
});
