import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { NetdError, NetdStartupError } from '../../../lib/netd/errors.ts';
import { ipv4Of, labLinksIn, listAll, NamespaceRig, readLinks, startDaemon } from './support.ts';

const LAB = '12345678-1234-4234-8234-123456789abc';
const TWIN = '12345678-12ff-4fff-8fff-ffffffffffff';

const rig = new NamespaceRig();
afterEach(() => rig.finish());

async function setup(ctx: TestContext) {
  const { netns, dir } = await rig.open(ctx);
  const socketPath = path.join(dir, 'run', 'netd.sock');
  const start = async (extra: { tapOwner?: number | null } = {}) => {
    const running = await startDaemon({ netns, socketPath, ...extra });
    rig.onFinish(() => running.daemon.stop());
    return running;
  };
  return { netns, socketPath, start };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetdError);
  return (error as NetdError).code;
}

describe('microvm-netd in a network namespace', () => {
  it('allocates a real up bridge with the gateway address and an up TAP owned by the configured uid, enslaved, both with the owner alias; release removes both', { tags: ['root', 'net'] }, async (ctx) => {
    const { netns, socketPath, start } = await setup(ctx);
    const { client } = await start({ tapOwner: 4242 });
    const names = labLinkNames(LAB);
    const params = { guest_ip: '10.210.120.2', gateway: '10.210.120.1', netmask: '255.255.255.0', dns: '8.8.8.8' };
    await expect(client.request({ op: 'alloc_vm_net', lab_id: LAB })).resolves.toEqual({
      ok: true,
      result: { lab_id: LAB, lab_id_suffix: '789abc', bridge: names.bridge, tap: names.tap, ...params, created: true },
    });
    const links = new Map((await readLinks(netns)).map((link) => [link.ifname, link]));
    const bridge = links.get(names.bridge)!;
    const tap = links.get(names.tap)!;
    expect(bridge.linkinfo?.info_kind).toBe('bridge');
    expect(bridge.flags).toContain('UP');
    expect(bridge.ifalias).toBe(`octolab:lab=${LAB}`);
    expect(ipv4Of(bridge)).toEqual(['10.210.120.1/24']);
    expect(ipv4Of(tap)).toEqual([]);
    expect(tap.linkinfo?.info_kind).toBe('tun');
    expect(tap.linkinfo?.info_data).toMatchObject({ type: 'tap', user: 4242 });
    expect(tap.master).toBe(names.bridge);
    expect(tap.flags).toContain('UP');
    expect(tap.ifalias).toBe(`octolab:lab=${LAB}`);
    await expect(client.request({ op: 'diag_vm_net', lab_id: LAB })).resolves.toMatchObject({ result: { healthy: true, network_params: params, tap: { owner_uid: 4242 } } });
    await expect(client.request({ op: 'release_vm_net', lab_id: LAB })).resolves.toEqual({
      ok: true,
      result: { lab_id: LAB, lab_id_suffix: '789abc', bridge_deleted: names.bridge, tap_deleted: names.tap },
    });
    expect(await labLinksIn(netns)).toEqual([]);
    expect(socketPath).toBeTruthy();
  });

  it('is idempotent: a second alloc and a second release succeed and change nothing', { tags: ['root', 'net'] }, async (ctx) => {
    const { netns, start } = await setup(ctx);
    const { client } = await start();
    await client.alloc(LAB);
    await expect(client.alloc(LAB)).resolves.toMatchObject({ created: false });
    expect(await labLinksIn(netns)).toEqual(['obr1234567812', 'otp1234567812']);
    await client.release(LAB);
    await expect(client.release(LAB)).resolves.toMatchObject({ bridge_deleted: null, tap_deleted: null });
    expect(await labLinksIn(netns)).toEqual([]);
  });

  it('allocates 64 labs concurrently, each with its own bridge, subnet and TAP, and releases them all', { tags: ['root', 'net', 'slow'] }, async (ctx) => {
    const { netns, socketPath, start } = await setup(ctx);
    const { client } = await start();
    // The same first 8 hex digits: all 64 prefer one subnet (0xaa), so concurrent allocs must probe apart.
    const labs = Array.from({ length: 64 }, (_, i) => `000000aa-${i.toString(16).padStart(2, '0')}00-4000-8000-000000000000`);
    const allocated = await Promise.all(labs.map((lab) => client.request({ op: 'alloc_vm_net', lab_id: lab })));
    expect(new Set(allocated.map((a) => (a.result as { tap: string }).tap)).size).toBe(64);
    expect(new Set(allocated.map((a) => (a.result as { guest_ip: string }).guest_ip)).size).toBe(64);
    const links = await readLinks(netns);
    for (const lab of labs) {
      const names = labLinkNames(lab);
      expect(links.find((link) => link.ifname === names.tap)?.master).toBe(names.bridge);
      expect(ipv4Of(links.find((link) => link.ifname === names.bridge))).toHaveLength(1);
    }
    expect(new Set(links.flatMap(ipv4Of)).size).toBe(64);
    const listing = await listAll(socketPath);
    expect(listing.devices).toHaveLength(128);
    expect(listing.devices.filter((device) => device.owned === false)).toEqual([]);
    await Promise.all(labs.map((lab) => client.release(lab)));
    expect(await labLinksIn(netns)).toEqual([]);
  });

  it('refuses a lab whose id shares the first 10 hex digits with LAB_COLLISION and leaves the first lab intact', { tags: ['root', 'net'] }, async (ctx) => {
    const { netns, start } = await setup(ctx);
    const { client } = await start();
    await client.alloc(LAB);
    expect(await refusal(client.alloc(TWIN))).toBe('LAB_COLLISION');
    expect(await refusal(client.release(TWIN))).toBe('LAB_COLLISION');
    await expect(client.diag(LAB)).resolves.toMatchObject({ healthy: true });
    await client.release(LAB);
    expect(await labLinksIn(netns)).toEqual([]);
  });

  it('never adopts or deletes a device with a lab name that someone else uses (an up bridge without alias)', { tags: ['root', 'net'] }, async (ctx) => {
    const { netns, socketPath, start } = await setup(ctx);
    const { client } = await start();
    // Up: not what an interrupted alloc leaves (that one is down, and adopted: see recovery.test.ts).
    await execa('ip', ['-n', netns, 'link', 'add', 'name', 'obr1234567812', 'up', 'type', 'bridge']);
    expect(await refusal(client.alloc(LAB))).toBe('NAME_IN_USE');
    expect(await refusal(client.release(LAB))).toBe('NAME_IN_USE');
    expect(await labLinksIn(netns)).toEqual(['obr1234567812']);
    expect((await listAll(socketPath)).devices).toEqual([{ name: 'obr1234567812', type: 'bridge', owned: false }]);
    await execa('ip', ['-n', netns, 'link', 'del', 'obr1234567812']);
  });

  it('knows what it owns after a restart, from the aliases on the devices', { tags: ['root', 'net'] }, async (ctx) => {
    const { netns, socketPath, start } = await setup(ctx);
    const first = await start();
    await first.client.alloc(LAB);
    await first.daemon.stop();
    const second = await start();
    expect(second.log).toContain('found 1 lab(s) owning devices, 1 with a subnet of the pool');
    expect((await listAll(socketPath)).devices).toEqual([
      { name: 'obr1234567812', type: 'bridge' },
      { name: 'otp1234567812', type: 'tap' },
    ]);
    expect(await refusal(second.client.alloc(TWIN))).toBe('LAB_COLLISION');
    await expect(second.client.release(LAB)).resolves.toMatchObject({ tap_deleted: 'otp1234567812' });
    expect(await labLinksIn(netns)).toEqual([]);
  });

  it('replaces a stale socket that nobody listens on', { tags: ['root', 'net'] }, async (ctx) => {
    const { socketPath, start } = await setup(ctx);
    await fs.mkdir(path.dirname(socketPath), { mode: 0o750 });
    // Bind elsewhere, move the socket into place, close: what a killed daemon leaves behind.
    const aside = `${socketPath}.aside`;
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(aside, resolve));
    await fs.rename(aside, socketPath);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect((await fs.lstat(socketPath)).isSocket()).toBe(true);
    const { client, log } = await start();
    await expect(client.ping()).resolves.toMatchObject({ status: 'ok' });
    expect(log).toContain(`replacing stale socket ${socketPath} (nothing listening)`);
  });

  it('refuses to start a second daemon on a socket where one is live, and the first keeps serving', { tags: ['root', 'net'] }, async (ctx) => {
    const { socketPath, start } = await setup(ctx);
    const first = await start();
    const error = await start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetdStartupError);
    expect((error as NetdStartupError).code).toBe('NETD_ALREADY_RUNNING');
    await expect(first.client.ping()).resolves.toMatchObject({ status: 'ok' });
    const stat = await fs.lstat(socketPath);
    expect(stat.mode & 0o777).toBe(0o660);
    expect((await fs.stat(path.dirname(socketPath))).mode & 0o777).toBe(0o750);
  });
});
