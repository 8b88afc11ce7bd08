import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamNetdClient, type VMNetworkParams } from '../../../fixtures/upstream-netd-client.ts';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { ipv4Of, labLinksIn, listAll, NamespaceRig, readLinks, startDaemon } from './support.ts';

// 500 labs on the reference daemon in a throwaway namespace, driven by upstream's own client
// (modelled in fixtures/upstream-netd-client.ts) as OctoLab's backend drives it: every lab its
// own subnet, list whole and under 16 KiB up to 150 labs, one valid truncated document beyond
// with the full count, next_offset paging that reaches every device, and nothing left after.

const rig = new NamespaceRig();
afterEach(() => rig.finish());

/** Lab ids with distinct first 10 hex digits; every 7th shares its first 8 with the one before, so some must probe. */
function labId(i: number): string {
  const lead = i % 7 === 0 ? i - 1 : i;
  return `${(0x5000 + lead).toString(16).padStart(8, '0')}-${(i % 256).toString(16).padStart(2, '0')}00-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

/** Runs `work` over `items` with at most `width` at once. */
async function inBatches<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

describe('the reference daemon with 500 labs', () => {
  it('gives 500 labs unique subnets, lists them within upstream\'s 16 KiB, pages beyond 150 labs, and releases everything', { tags: ['root', 'net', 'slow'], timeout: 1_200_000 }, async (ctx) => {
    const { netns, dir } = await rig.open(ctx);
    const socketPath = path.join(dir, 'run', 'netd.sock');
    const running = await startDaemon({ netns, socketPath });
    rig.onFinish(() => running.daemon.stop());
    const upstream = new UpstreamNetdClient({ socketPath, timeoutMs: 60_000 });
    const labs = Array.from({ length: 500 }, (_, i) => labId(i + 1));
    const expectedOrder = (count: number) =>
      labs
        .slice(0, count)
        .map((lab) => labLinkNames(lab))
        .sort((a, b) => (a.prefix < b.prefix ? -1 : 1))
        .flatMap((names) => [names.bridge, names.tap]);

    const first = await inBatches(labs.slice(0, 150), 8, (lab) => upstream.allocVmNet(lab));
    const at150 = await listAll(socketPath);
    expect(at150.replyBytes).toHaveLength(1);
    expect(at150.replyBytes[0]).toBeLessThanOrEqual(16_384);
    expect(at150.counts).toEqual([300]);
    expect(at150.devices.map((device) => device.name)).toEqual(expectedOrder(150));

    const rest = await inBatches(labs.slice(150), 8, (lab) => upstream.allocVmNet(lab));
    const params: VMNetworkParams[] = [...first, ...rest];
    expect(new Set(params.map((p) => p.guest_ip)).size).toBe(500);
    expect(new Set(params.map((p) => p.gateway)).size).toBe(500);
    expect(params.every((p) => p.netmask === '255.255.255.0' && p.cidr_prefix === 24 && p.dns === '8.8.8.8')).toBe(true);
    // The kernel agrees: each bridge carries exactly its lab's gateway, no two the same subnet.
    const devices = new Map((await readLinks(netns)).map((link) => [link.ifname, link]));
    for (const [i, lab] of labs.entries()) expect(ipv4Of(devices.get(labLinkNames(lab).bridge))).toEqual([`${params[i]!.gateway}/24`]);

    const firstPage = await upstream.listInterfaces();
    expect(firstPage).toMatchObject({ count: 1000, truncated: true, next_offset: (firstPage.interfaces as unknown[]).length });
    const at500 = await listAll(socketPath);
    expect(at500.replyBytes.every((bytes) => bytes <= 16_384)).toBe(true);
    expect(at500.counts.every((count) => count === 1000)).toBe(true);
    expect(at500.devices.map((device) => device.name)).toEqual(expectedOrder(500));
    ctx.annotate(`list reply bytes: 150 labs ${at150.replyBytes[0]}; 500 labs ${at500.replyBytes.join(' + ')} (${at500.replyBytes.length} pages)`);

    expect(await inBatches(labs, 8, (lab) => upstream.releaseVmNet(lab))).toEqual(labs.map(() => true));
    expect(await listAll(socketPath)).toEqual({ devices: [], counts: [0], replyBytes: [expect.any(Number)] });
    expect(await labLinksIn(netns)).toEqual([]);
  });
});
