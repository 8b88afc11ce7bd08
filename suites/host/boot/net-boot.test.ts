import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { insertAfter } from '../../../lib/firecracker/boot-steps.ts';
import type { BootStep } from '../../../lib/firecracker/boot-state.ts';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { processesWith } from '../../unit/boot/boot-harness.ts';
import { ipv4Of, labLinksIn, readLinks, waitFor } from '../netd/support.ts';
import { createNetRig, type NetRig } from './net-rig.ts';
import { enslavementStep, withLabHandedOver, tapsAttachedBy, watchTapStep, type Enslavement, type TapSighting } from './tap-watch.ts';

/**
 * The boot pipeline's network path end to end: the real microvm-netd (as a process, in a
 * namespace of this test) allocates the lab's TAP, FakeFirecracker runs in that namespace with
 * FAKE_FIRECRACKER_OPEN_TAP=1 and opens the TAP with TUNSETIFF at PUT /network-interfaces, as
 * Firecracker does, and teardown releases the lab. What the VMM holds is read from the kernel.
 */

const CLI = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));
const TAGS = ['root', 'net', 'boot'];
const EPERM_FAULT =
  'Network config error: Could not create the network device: TapOpen(IoctlError(Os { code: 1, kind: PermissionDenied, message: "Operation not permitted" }))';

let rig: NetRig | null = null;

afterEach(async () => {
  const left = await rig?.cleanup();
  rig = null;
  expect(left ?? []).toEqual([]);
});

/** Watches the TAP just before and just after PUT /network-interfaces. */
function watchAroundNetwork(current: NetRig, sightings: TapSighting[], first: (steps: BootStep[]) => BootStep[] = (s) => s) {
  return (steps: BootStep[]) =>
    insertAfter(
      insertAfter(first(steps), 'rootfs-drive', watchTapStep('rootfs-drive', current.netns, current.netd.client, sightings)),
      'network',
      watchTapStep('network', current.netns, current.netd.client, sightings),
    );
}

/** A step after boot-source that reads the boot args Firecracker got back from GET /vm/config into `into.bootArgs`. */
function readBootArgsStep(into: { bootArgs: string }): (steps: BootStep[]) => BootStep[] {
  return (steps) =>
    insertAfter(steps, 'boot-source', {
      name: 'read-boot-args',
      title: 'read the boot args back',
      run: async ({ state }) => void (into.bootArgs = (JSON.parse((await state.api!.raw('GET', '/vm/config')).text) as { 'boot-source': { boot_args: string } })['boot-source'].boot_args),
    });
}

/** The lab is gone everywhere: netd lists nothing, the namespace has no obr/otp, no VMM runs, the state dir is empty. */
async function expectLabReleased(current: NetRig, labId: string): Promise<void> {
  expect((await current.netd.client.list()).labs).toEqual([]);
  expect(await labLinksIn(current.netns)).toEqual([]);
  expect(await processesWith(`lab-${labId}`)).toEqual([]);
  expect(await fs.readdir(current.stateDir)).toEqual([]);
}

describe('boot --net against the real microvm-netd, with the fake opening the real TAP', () => {
  it('boots: the VMM holds the TAP netd allocated for this lab, enslaved to its obr bridge, the guest gets its subnet by ip= with the /24 netmask, and teardown releases the lab', { tags: TAGS, timeout: 120_000 }, async (ctx) => {
    rig = await createNetRig(ctx);
    const current = rig;
    const sightings: TapSighting[] = [];
    const enslaved: Enslavement[] = [];
    const read = { bootArgs: '' };
    const bridgeAddresses: string[] = [];
    const readBridge: BootStep = {
      name: 'read-bridge-address',
      title: "read the bridge's addresses from the kernel",
      run: async ({ state }) => void bridgeAddresses.push(...ipv4Of((await readLinks(current.netns)).find((l) => l.ifname === state.network?.bridge))),
    };
    const watch = watchAroundNetwork(rig, sightings, (steps) => insertAfter(insertAfter(steps, 'netd', enslavementStep(current.netns, enslaved)), 'netd', readBridge));
    const result = await rig.boot({ editSteps: (steps) => readBootArgsStep(read)(watch(steps)) });

    expect(result.error?.message ?? null).toBeNull();
    const names = labLinkNames(result.labId);
    expect(result).toMatchObject({ ok: true, exit: { code: 0, signal: null }, markerLine: { text: 'Hello, World!' }, network: { tap: names.tap, bridge: names.bridge, design: 'per-lab', netmask: '255.255.255.0', dns: '8.8.8.8' } });
    // The gateway is on the lab's own bridge (seen by the kernel while the lab ran), the guest the next address, both in one /24.
    const { guest_ip, gateway } = result.network!;
    expect(bridgeAddresses).toEqual([`${gateway}/24`]);
    expect(guest_ip!.split('.').slice(0, 3)).toEqual(gateway!.split('.').slice(0, 3));
    expect(read.bootArgs.endsWith(` ip=${guest_ip}::${gateway}:255.255.255.0::eth0:none`)).toBe(true);
    // Before the PUT nobody holds the TAP; after it the VMM's tun fd is attached to exactly that TAP, and the kernel sees carrier.
    expect(sightings).toEqual([
      { after: 'rootfs-drive', uid: 0, attached: [], carrier: false, netdState: 'down' },
      { after: 'network', uid: 0, attached: [names.tap], carrier: true, netdState: 'up' },
    ]);
    expect(enslaved).toEqual([{ tap: names.tap, master: names.bridge, named: names.bridge }]);
    expect(result.cleanupErrors).toEqual([]);
    await expectLabReleased(rig, result.labId);
  });

  it('boots against the shared-bridge design (the fake driving the real ip): TAP enslaved to br-octonet, ip= and MAC given, TAP released, bridge kept', { tags: TAGS, timeout: 120_000 }, async (ctx) => {
    rig = await createNetRig(ctx, { design: 'shared-bridge' });
    const current = rig;
    const sightings: TapSighting[] = [];
    const enslaved: Enslavement[] = [];
    const read = { bootArgs: '' };
    const watch = watchAroundNetwork(current, sightings, (s) => insertAfter(s, 'netd', enslavementStep(current.netns, enslaved)));
    const result = await rig.boot({ editSteps: (steps) => readBootArgsStep(read)(watch(steps)) });

    expect(result.error?.message ?? null).toBeNull();
    const { tap } = labLinkNames(result.labId);
    expect(result.network).toMatchObject({ tap, bridge: 'br-octonet', design: 'shared-bridge', netmask: '255.255.0.0', gateway: '10.200.0.1' });
    expect(enslaved).toEqual([{ tap, master: 'br-octonet', named: 'br-octonet' }]);
    expect(sightings.at(-1)).toMatchObject({ after: 'network', attached: [tap], carrier: true });
    expect(read.bootArgs).toMatch(/ ip=10\.200\.\d+\.\d+::10\.200\.0\.1:255\.255\.0\.0::eth0:none$/);
    expect(result.cleanupErrors).toEqual([]);
    // Released: the TAP is gone; the shared bridge stays, as upstream's release leaves it.
    const links = (await readLinks(current.netns)).map((l) => l.ifname);
    expect(links).toContain('br-octonet');
    expect(links).not.toContain(tap);
    expect(await processesWith(`lab-${result.labId}`)).toEqual([]);
    expect(await fs.readdir(current.stateDir)).toEqual([]);
  });

  it('fails at the network stage with the TapOpen EPERM text when the TAP belongs to another uid, and still releases the lab', { tags: [...TAGS, 'users'], timeout: 120_000 }, async (ctx) => {
    rig = await createNetRig(ctx, { fakeAsUser: true, tapOwner: 'other-user' });
    const user = rig.fakeUser!;
    const sightings: TapSighting[] = [];
    const result = await rig.boot({ editSteps: watchAroundNetwork(rig, sightings, (steps) => withLabHandedOver(steps, user)) });

    expect(result.ok).toBe(false);
    expect(result.failedStage).toBe('network');
    expect(result.error?.summary).toBe(`boot stage "network" (attach eth0 to the TAP) failed: PUT /network-interfaces/eth0 answered 400: ${EPERM_FAULT}`);
    expect(result.hint).toMatch(/--tap-owner/);
    expect(result.stages.filter((s) => s.status === 'not-run').map((s) => s.name)).toContain('instance-start');
    // The VMM really ran as the unprivileged user, and had not attached anything before the PUT.
    expect(sightings).toEqual([{ after: 'rootfs-drive', uid: user.uid, attached: [], carrier: false, netdState: 'down' }]);
    expect(result.cleanupErrors).toEqual([]);
    await expectLabReleased(rig, result.labId);
  });

  it('boots as the unprivileged user when netd gives the TAP to that uid (--tap-owner)', { tags: [...TAGS, 'users'], timeout: 120_000 }, async (ctx) => {
    rig = await createNetRig(ctx, { fakeAsUser: true, tapOwner: 'fake-user' });
    const user = rig.fakeUser!;
    const sightings: TapSighting[] = [];
    const result = await rig.boot({ editSteps: watchAroundNetwork(rig, sightings, (steps) => withLabHandedOver(steps, user)) });

    expect(result.error?.message ?? null).toBeNull();
    const { tap } = labLinkNames(result.labId);
    expect(result).toMatchObject({ ok: true, exit: { code: 0, signal: null }, network: { tap } });
    expect(sightings.at(-1)).toEqual({ after: 'network', uid: user.uid, attached: [tap], carrier: true, netdState: 'up' });
    await expectLabReleased(rig, result.labId);
  });

  it('tears down and releases the lab when `octolab-verify boot --net` gets SIGTERM while the VMM holds the TAP', { tags: [...TAGS, 'slow'], timeout: 120_000 }, async (ctx) => {
    rig = await createNetRig(ctx);
    const current = rig;
    const env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      OCTOLAB_FIRECRACKER_BIN: current.firecrackerBin,
      OCTOLAB_MICROVM_KERNEL_PATH: current.kernel,
      OCTOLAB_MICROVM_ROOTFS_BASE_PATH: current.rootfs,
      OCTOLAB_MICROVM_STATE_DIR: current.stateDir,
      OCTOLAB_MICROVM_NETD_SOCK: current.netd.socketPath,
      // The guest never prints the marker and never reboots: the boot waits at serial-marker until interrupted.
      FAKE_FIRECRACKER_MODE: 'no-marker,hold',
      NO_COLOR: '1',
    };
    const child = spawn(process.execPath, [CLI, 'boot', '--net', '--timeout', '600'], { cwd: path.dirname(current.stateDir), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      // Mid-boot with the network: the lab is allocated and some fd is attached to its TAP.
      let tap = '';
      const attached = await waitFor(async () => {
        const labs = (await current.netd.client.list()).labs;
        tap = labs[0]?.tap ?? '';
        const link = (await readLinks(current.netns)).find((l) => l.ifname === tap);
        return link !== undefined && !link.flags.includes('NO-CARRIER');
      }, 60_000);
      expect(attached, `no attached TAP appeared; stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(true);
      const vmms = await processesWith(current.stateDir);
      expect(vmms).toHaveLength(1);
      expect(await tapsAttachedBy(vmms[0]!)).toEqual([tap]);

      child.kill('SIGTERM');
      expect(await done).toBe(130);
      expect(stderr).toBe('octolab-verify boot: FAILED at stage "serial-marker"\n');
      expect(stdout).toMatch(/was interrupted \(received SIGTERM\); the lab was torn down/);
      const labId = /lab_([0-9a-f-]{36})/.exec(stdout)?.[1] ?? '';
      expect(labLinkNames(labId).tap).toBe(tap);
      await expectLabReleased(current, labId);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await done;
    }
  });
});
