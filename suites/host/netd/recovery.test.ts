import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { NetdError } from '../../../lib/netd/errors.ts';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { holdTap, ipv4Of, listAll, NamespaceRig, readLinks, startDaemon, type InProcessDaemon, type IpLink } from './support.ts';

const LAB = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const names = labLinkNames(LAB);

const rig = new NamespaceRig();
afterEach(() => rig.finish());

async function setup(ctx: TestContext) {
  const { netns, dir } = await rig.open(ctx);
  const socketPath = path.join(dir, 'run', 'netd.sock');
  let current: InProcessDaemon | null = null;
  const list = async () => (await listAll(socketPath)).devices;
  /** Starts a daemon as `netd serve --tap-owner UID` would (null: no --tap-owner); stops the one running first. */
  const restart = async (tapOwner: number | null) => {
    await current?.daemon.stop();
    const running = await startDaemon({ netns, socketPath, tapOwner });
    current = running;
    rig.onFinish(() => running.daemon.stop());
    return running;
  };
  const hold = async (name: string) => {
    const held = await holdTap(netns, name);
    rig.onFinish(() => held.close());
    return held;
  };
  const ip = (...args: string[]) => execa('ip', ['-n', netns, ...args]);
  const link = async (name: string): Promise<(IpLink & { ifindex?: number }) | undefined> => (await readLinks(netns)).find((l) => l.ifname === name);
  return { netns, restart, hold, ip, link, list };
}

async function refusal(promise: Promise<unknown>): Promise<NetdError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetdError);
  return error as NetdError;
}

describe('microvm-netd restarted with another --tap-owner', () => {
  it('recreates the lab TAP nobody holds with the new owner, keeping name, alias, master and up', { tags: ['root', 'net'] }, async (ctx) => {
    const { restart, link } = await setup(ctx);
    await (await restart(4242)).client.alloc(LAB);
    expect((await link(names.tap))?.linkinfo?.info_data).toMatchObject({ user: 4242 });
    const second = await restart(5555);
    // Before alloc replaces it, diag says why the lab is not usable for the new VMM user.
    await expect(second.client.diag(LAB)).resolves.toMatchObject({
      healthy: false,
      tap: { owned: true, owner_uid: 4242, owner_expected: 5555, owner_matches: false },
    });
    await expect(second.client.alloc(LAB)).resolves.toMatchObject({ tap: names.tap });
    const tap = (await link(names.tap))!;
    expect(tap.linkinfo?.info_data).toMatchObject({ type: 'tap', user: 5555 });
    expect(tap).toMatchObject({ ifalias: names.alias, master: names.bridge });
    expect(tap.flags).toEqual(expect.arrayContaining(['UP', 'NO-CARRIER']));
    expect(second.log).toContain(`lab ${LAB}: replacing ${names.tap}: owned by uid 4242, configured uid 5555`);
    await expect(second.client.diag(LAB)).resolves.toMatchObject({ healthy: true, tap: { owner_uid: 5555, owner_expected: 5555, owner_matches: true } });
  });

  it.for([
    ['up (the daemon sees its carrier)', true],
    ['down (only the kernel\'s EBUSY on ip tuntap del shows it)', false],
  ] as const)('refuses with TAP_OWNER_MISMATCH while a process holds the TAP, %s, and leaves it held', { tags: ['root', 'net'] }, async ([, up], ctx) => {
    const { restart, hold, ip, link } = await setup(ctx);
    await (await restart(4242)).client.alloc(LAB);
    const held = await hold(names.tap);
    if (!up) await ip('link', 'set', 'dev', names.tap, 'down');
    const error = await refusal((await restart(5555)).client.alloc(LAB));
    expect(error.code).toBe('TAP_OWNER_MISMATCH');
    expect(error.summary).toMatch(/is owned by uid 4242, but this daemon gives TAPs to uid 5555/);
    const tap = (await link(names.tap))!;
    expect(tap.linkinfo?.info_data).toMatchObject({ user: 4242 });
    expect(tap.ifalias).toBe(names.alias);
    if (up) expect(tap.flags).toContain('LOWER_UP');
    expect(() => process.kill(held.pid, 0)).not.toThrow();
    await held.close();
  });
});

describe('microvm-netd and devices an interrupted alloc left without owner alias', () => {
  it('adopts the bridge in place (same ifindex) and finishes the lab', { tags: ['root', 'net'] }, async (ctx) => {
    const { restart, ip, link } = await setup(ctx);
    await ip('link', 'add', names.bridge, 'type', 'bridge'); // the daemon died right after this step
    const before = (await link(names.bridge))!.ifindex;
    const { client, log } = await restart(4242);
    await client.alloc(LAB);
    expect(await link(names.bridge)).toMatchObject({ ifindex: before, ifalias: names.alias });
    await expect(client.diag(LAB)).resolves.toMatchObject({ healthy: true, tap: { owner_uid: 4242 } });
    expect(log.some((line) => line.includes(`adopting ${names.bridge}`))).toBe(true);
  });

  it('replaces a TAP without alias that nobody holds, and refuses one that a process holds', { tags: ['root', 'net'] }, async (ctx) => {
    const { restart, hold, ip, link, list } = await setup(ctx);
    const { client } = await restart(4242);
    await client.alloc(LAB);
    await client.release(LAB);
    // The daemon died after creating the TAP, before its alias: a bridge of ours, a bare TAP.
    await client.alloc(LAB);
    await ip('tuntap', 'del', 'dev', names.tap, 'mode', 'tap');
    await ip('tuntap', 'add', 'dev', names.tap, 'mode', 'tap', 'user', '4343');
    const held = await hold(names.tap);
    const error = await refusal(client.alloc(LAB));
    expect(error.code).toBe('NAME_IN_USE');
    expect(error.summary).toMatch(/a process holds it open \(the kernel refused to delete it: EBUSY\)/);
    expect((await link(names.tap))?.linkinfo?.info_data).toMatchObject({ user: 4343 });
    expect(await list()).toEqual([
      { name: names.bridge, type: 'bridge' },
      { name: names.tap, type: 'tap', owned: false },
    ]);
    await held.close();
    await client.alloc(LAB);
    expect(await link(names.tap)).toMatchObject({ ifalias: names.alias, master: names.bridge, linkinfo: { info_data: { user: 4242 } } });
  });
});

describe('microvm-netd restarted over labs with addresses', () => {
  // Labs sharing the first 8 hex digits prefer one subnet: the second and third were probed past it.
  const labs = ['3f2504e0-1100-41d3-9a0c-0305e82c3301', '3f2504e0-2200-41d3-9a0c-0305e82c3301', '3f2504e0-3300-41d3-9a0c-0305e82c3301'];

  it('knows every lab\'s subnet from the address on its bridge, answers the same parameters, and gives a new lab a free one', { tags: ['root', 'net'] }, async (ctx) => {
    const { restart, link } = await setup(ctx);
    const first = await restart(null);
    const before = [];
    for (const lab of labs.slice(0, 2)) before.push((await first.client.request({ op: 'alloc_vm_net', lab_id: lab })).result as Record<string, unknown>);
    // 0x3f2504e0 % 1024 = 224: 10.208.224.0/24, then the next free ones.
    expect(before.map((params) => params.gateway)).toEqual(['10.208.224.1', '10.208.225.1']);
    const second = await restart(null);
    expect(second.log).toContain('found 2 lab(s) owning devices, 2 with a subnet of the pool');
    for (const [i, lab] of labs.slice(0, 2).entries()) {
      await expect(second.client.request({ op: 'alloc_vm_net', lab_id: lab })).resolves.toMatchObject({ result: { ...before[i], created: false } });
      await expect(second.client.request({ op: 'diag_vm_net', lab_id: lab })).resolves.toMatchObject({ result: { healthy: true, network_params: { guest_ip: before[i]!.guest_ip } } });
    }
    const third = (await second.client.request({ op: 'alloc_vm_net', lab_id: labs[2] })).result as Record<string, unknown>;
    expect(third.gateway).toBe('10.208.226.1');
    expect(ipv4Of(await link(labLinkNames(labs[2]!).bridge))).toEqual(['10.208.226.1/24']);
  });

  it('adds the gateway address to a bridge without one (made by the previous version, or stripped by hand), on the real device', { tags: ['root', 'net'] }, async (ctx) => {
    const { restart, ip, link } = await setup(ctx);
    const { client } = await restart(null);
    const lab = labs[0]!;
    const own = labLinkNames(lab);
    await client.request({ op: 'alloc_vm_net', lab_id: lab });
    const gateway = ipv4Of(await link(own.bridge));
    await ip('address', 'flush', 'dev', own.bridge);
    await expect(client.request({ op: 'diag_vm_net', lab_id: lab })).resolves.toMatchObject({ result: { healthy: false, network_params: null } });
    await expect(client.request({ op: 'alloc_vm_net', lab_id: lab })).resolves.toMatchObject({ result: { created: false, gateway: gateway[0]!.split('/')[0] } });
    expect(ipv4Of(await link(own.bridge))).toEqual(gateway);
    await expect(client.request({ op: 'diag_vm_net', lab_id: lab })).resolves.toMatchObject({ result: { healthy: true } });
  });
});
