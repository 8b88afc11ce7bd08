import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessNetd } from '../../../fixtures/fake-netd.ts';
import { startFakeNetdProcess } from '../../../fixtures/fake-netd-spawn.ts';
import { InProcessPreviousNetd } from '../../../fixtures/fake-previous-netd.ts';
import { InProcessSharedNetd } from '../../../fixtures/fake-shared-netd/in-process.ts';
import { startSharedNetdProcess } from '../../../fixtures/fake-shared-netd/spawn.ts';
import { bootMicroVm, type BootOptions } from '../../../lib/firecracker/boot-pipeline.ts';
import { insertAfter } from '../../../lib/firecracker/boot-steps.ts';
import { createNetdLease } from '../../../lib/firecracker/netd-lease.ts';
import type { HostSockets } from '../../../lib/host/types.ts';
import { createNetdClient } from '../../../lib/netd/client.ts';
import { createBootSandbox, fakeBootEnv, fakeInputs, residueOf, type BootSandbox } from './boot-harness.ts';

/**
 * boot --net against both netd designs with the fake Firecracker: eth0 gets the lab's TAP and the
 * guest MAC OctoLab's backend derives, the kernel gets ` ip=<guest>::<gateway>:<netmask>::eth0:none`
 * with the netmask netd returned, and teardown releases the lab. What the fake received is read
 * back from its GET /vm/config.
 */

const SOCKET = '/run/octolab/microvm-netd.sock';
const LAB = '12345678-1234-4234-8234-123456789abc';
const BOOT_ARGS = 'console=ttyS0 reboot=k panic=1 pci=off';
const BIN = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));

let sandbox: BootSandbox;
beforeAll(async () => {
  sandbox = await createBootSandbox();
});
afterAll(async () => {
  await sandbox?.cleanup();
});

/** Boots lab LAB with a lease over `sockets`, and returns the result and the fake's /vm/config after PUT /network-interfaces. */
async function bootWith(sockets: HostSockets, overrides: Partial<BootOptions['inputs']> = {}) {
  let config: Record<string, unknown> = {};
  const netd = createNetdLease(createNetdClient({ sockets, socketPath: SOCKET, timeoutMs: 5000 }));
  const result = await bootMicroVm({
    inputs: fakeInputs(sandbox, [], { labId: LAB, bootArgs: BOOT_ARGS, ...overrides }),
    budgetMs: 30_000,
    netd,
    editSteps: (steps) =>
      insertAfter(steps, 'network', {
        name: 'inspect',
        title: 'read the VM config back',
        run: async ({ state }) => void (config = JSON.parse((await state.api!.raw('GET', '/vm/config')).text) as Record<string, unknown>),
      }),
  });
  return { result, bootArgs: (config['boot-source'] as { boot_args: string } | undefined)?.boot_args, nets: config['network-interfaces'] };
}

describe('boot --net', { timeout: 60_000 }, () => {
  it("gives the guest the shared-bridge daemon's parameters as OctoLab's backend does, and releases the TAP only", async () => {
    const netd = new InProcessSharedNetd({ socketPath: SOCKET });
    const { result, bootArgs, nets } = await bootWith(netd.sockets);
    expect(result.error?.message ?? null).toBeNull();
    expect(result.network).toEqual({
      tap: 'otp1234567812',
      bridge: 'br-octonet',
      design: 'shared-bridge',
      guest_ip: '10.200.89.127',
      gateway: '10.200.0.1',
      netmask: '255.255.0.0',
      dns: '8.8.8.8',
      // The low 24 bits of 0x12345678.
      guest_mac: 'AA:FC:00:34:56:78',
      kernel_ip_arg: ' ip=10.200.89.127::10.200.0.1:255.255.0.0::eth0:none',
      kernel_ip_note: null,
    });
    expect(bootArgs).toBe(`${BOOT_ARGS} ip=10.200.89.127::10.200.0.1:255.255.0.0::eth0:none`);
    expect(nets).toEqual([{ iface_id: 'eth0', host_dev_name: 'otp1234567812', guest_mac: 'aa:fc:00:34:56:78', rx_rate_limiter: null, tx_rate_limiter: null }]);
    expect(netd.ops).toEqual(['alloc_vm_net', 'release_vm_net']);
    expect(netd.tools.names()).toEqual(['br-octonet']);
    expect(await residueOf(sandbox.stateDir, LAB)).toEqual([]);
  });

  it("gives the guest the reference daemon's per-lab parameters: ip= with netd's /24 netmask (not the backend's hard-coded 255.255.0.0), and releases both devices", async () => {
    const netd = new InProcessNetd({ socketPath: SOCKET });
    const { result, bootArgs, nets } = await bootWith(netd.sockets);
    expect(result.error?.message ?? null).toBeNull();
    // The address scheme's worked example (docs/netd-daemon.md): lab 12345678-… gets 10.210.120.0/24.
    expect(result.network).toEqual({
      tap: 'otp1234567812',
      bridge: 'obr1234567812',
      design: 'per-lab',
      guest_ip: '10.210.120.2',
      gateway: '10.210.120.1',
      netmask: '255.255.255.0',
      dns: '8.8.8.8',
      guest_mac: 'AA:FC:00:34:56:78',
      kernel_ip_arg: ' ip=10.210.120.2::10.210.120.1:255.255.255.0::eth0:none',
      kernel_ip_note: null,
    });
    expect(bootArgs).toBe(`${BOOT_ARGS} ip=10.210.120.2::10.210.120.1:255.255.255.0::eth0:none`);
    expect(nets).toMatchObject([{ iface_id: 'eth0', host_dev_name: 'otp1234567812', guest_mac: 'aa:fc:00:34:56:78' }]);
    expect(netd.log.map((line) => line.split(' ').slice(0, 3).join(' '))).toEqual([`op=alloc_vm_net lab=${LAB} result=ok`, `op=release_vm_net lab=${LAB} result=ok`]);
    expect(netd.links.labLinkNames()).toEqual([]);
  });

  it('still attaches the TAP from a daemon that sends no guest parameters (the previous per-lab one), and says the guest gets no ip= argument', async () => {
    const netd = new InProcessPreviousNetd({ socketPath: SOCKET });
    const { result, bootArgs, nets } = await bootWith(netd.sockets);
    expect(result.ok).toBe(true);
    expect(result.network).toMatchObject({ design: 'per-lab', bridge: 'obr1234567812', guest_ip: null, guest_mac: 'AA:FC:00:34:56:78', kernel_ip_arg: null });
    expect(result.network?.kernel_ip_note).toBe('microvm-netd sent no guest_ip, gateway, netmask: the guest gets no ip= argument (eth0 is attached, unconfigured)');
    expect(bootArgs).toBe(BOOT_ARGS);
    expect(nets).toMatchObject([{ host_dev_name: 'otp1234567812', guest_mac: 'aa:fc:00:34:56:78' }]);
    expect(netd.ops).toEqual(['alloc_vm_net', 'release_vm_net']);
    expect(netd.links.labLinkNames()).toEqual([]);
  });

  it('keeps an ip= the configured boot args already set', async () => {
    const { result, bootArgs } = await bootWith(new InProcessSharedNetd({ socketPath: SOCKET }).sockets, { bootArgs: `${BOOT_ARGS} ip=dhcp` });
    expect(result.ok).toBe(true);
    expect(bootArgs).toBe(`${BOOT_ARGS} ip=dhcp`);
    expect(result.network?.kernel_ip_note).toBe('the configured boot args set ip= themselves: kept as configured');
  });

  it("boots through the real launcher (`boot --net`) against the per-lab reference daemon's process: ip= with its /24 netmask, exit 0", async () => {
    const netd = await startFakeNetdProcess(path.join(sandbox.root, 'per-lab.sock'));
    try {
      const env = fakeBootEnv(sandbox, { OCTOLAB_MICROVM_NETD_SOCK: netd.socketPath });
      const run = await execa(process.execPath, [BIN, 'boot', '--net', '--json'], { cwd: sandbox.root, env, extendEnv: false, reject: false, timeout: 60_000 });
      expect(run.exitCode, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as { ok: boolean; network: Record<string, unknown> };
      expect(report.ok).toBe(true);
      expect(report.network).toMatchObject({
        design: 'per-lab',
        bridge: expect.stringMatching(/^obr[0-9a-f]{10}$/),
        netmask: '255.255.255.0',
        dns: '8.8.8.8',
        kernel_ip_arg: expect.stringMatching(/^ ip=10\.(20[89]|21[01])\.\d+\.2::10\.(20[89]|21[01])\.\d+\.1:255\.255\.255\.0::eth0:none$/),
      });
      const text = await execa(process.execPath, [BIN, 'boot', '--net'], { cwd: sandbox.root, env, extendEnv: false, reject: false, timeout: 60_000 });
      expect(text.exitCode, text.stderr).toBe(0);
      expect(text.stdout.split('\n').find((line) => line.startsWith('boot passed in '))).toMatch(/tap otp[0-9a-f]{10} on obr[0-9a-f]{10} \(per-lab\), guest 10\.\d+\.\d+\.2\/255\.255\.255\.0 via 10\.\d+\.\d+\.1, MAC AA:FC:00:/);
      expect(await residueOf(sandbox.stateDir)).toEqual([]);
    } finally {
      const stopped = await netd.stop();
      expect(stopped.stderr.split('\n').filter((line) => line.startsWith('op=')).map((line) => `${line.split(' ')[0]} ${line.split(' ')[2]}`)).toEqual([
        'op=alloc_vm_net result=ok',
        'op=release_vm_net result=ok',
        'op=alloc_vm_net result=ok',
        'op=release_vm_net result=ok',
      ]);
    }
  });

  it('boots through the real launcher (`boot --net --json`) against the shared-bridge fake process, exit 0', async () => {
    const netd = await startSharedNetdProcess({ socketPath: path.join(sandbox.root, 'shared.sock'), fakeTools: true });
    try {
      const env = fakeBootEnv(sandbox, { OCTOLAB_MICROVM_NETD_SOCK: netd.socketPath });
      const run = await execa(process.execPath, [BIN, 'boot', '--net', '--json'], { cwd: sandbox.root, env, extendEnv: false, reject: false, timeout: 60_000 });
      expect(run.exitCode, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as { ok: boolean; labId: string; network: Record<string, unknown> };
      expect(report.ok).toBe(true);
      expect(report.network).toMatchObject({ bridge: 'br-octonet', design: 'shared-bridge', netmask: '255.255.0.0', kernel_ip_arg: expect.stringMatching(/^ ip=10\.200\.\d+\.\d+::10\.200\.0\.1:255\.255\.0\.0::eth0:none$/), guest_mac: expect.stringMatching(/^AA:FC:00:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2}$/) });
      const text = await execa(process.execPath, [BIN, 'boot', '--net'], { cwd: sandbox.root, env, extendEnv: false, reject: false, timeout: 60_000 });
      expect(text.exitCode, text.stderr).toBe(0);
      // One line per stage as it passes, then the verdict with the facts (the network among them).
      expect(text.stdout.split('\n').find((line) => line.startsWith('boot passed in '))).toMatch(/\(lab [0-9a-f-]{36}, firecracker 1\.7\.0, rootfs \S+, tap otp[0-9a-f]{10} on br-octonet \(shared-bridge\), guest 10\.200\.\d+\.\d+\/255\.255\.0\.0 via 10\.200\.0\.1, MAC AA:FC:00:/);
      expect(await residueOf(sandbox.stateDir)).toEqual([]);
    } finally {
      const stopped = await netd.stop();
      expect(stopped.stderr.split('\n').filter((line) => line.startsWith('op='))).toEqual(['op=alloc_vm_net', 'op=release_vm_net', 'op=alloc_vm_net', 'op=release_vm_net']);
    }
  });
});
