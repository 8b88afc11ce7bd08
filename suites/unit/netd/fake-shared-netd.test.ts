import net from 'node:net';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { FakeSharedTools } from '../../../fixtures/fake-shared-netd/fake-tools.ts';
import { InProcessSharedNetd } from '../../../fixtures/fake-shared-netd/in-process.ts';
import { startSharedNetdProcess } from '../../../fixtures/fake-shared-netd/spawn.ts';
import { createRealSockets } from '../../../lib/host/real-sockets.ts';
import { createNetdClient } from '../../../lib/netd/client.ts';
import { LABS } from './support.ts';

/**
 * The fake shared-bridge daemon answers as upstream facts §2.1–2.6 describe upstream's current
 * microvm-netd, byte for byte where the facts give the bytes: this suite is what makes it a
 * faithful stand-in for the daemon OctoLab hosts run.
 */

async function ask(netd: InProcessSharedNetd, request: unknown): Promise<unknown> {
  const reply = await netd.answer(Buffer.from(typeof request === 'string' ? request : JSON.stringify(request)));
  return reply === null ? null : JSON.parse(reply);
}

describe('the fake shared-bridge daemon (in process)', () => {
  it('answers hello at the top level with upstream\'s sorted ops and build id', async () => {
    const netd = new InProcessSharedNetd();
    const reply = await netd.answer(Buffer.from('{"op":"hello"}'));
    expect(reply).toBe(
      '{"ok":true,"name":"microvm-netd","api_version":1,"supported_ops":["alloc_vm_net","cleanup_port_forward","create","destroy","diag_vm_net","hello","list","ping","release_vm_net","setup_port_forward"],"build_id":"netd-1"}',
    );
  });

  it('answers ping with status, version and an integer ts', async () => {
    const reply = (await ask(new InProcessSharedNetd(), { op: 'ping' })) as { result: Record<string, unknown> };
    expect(Object.keys(reply.result)).toEqual(['status', 'version', 'ts']);
    expect(reply.result).toMatchObject({ status: 'ok', version: '1.0' });
    expect(Number.isInteger(reply.result.ts)).toBe(true);
  });

  it('allocates with exactly the §2.6 commands, and the same TAP again without recreating it', async () => {
    const netd = new InProcessSharedNetd();
    const tools = netd.tools;
    expect(await ask(netd, { op: 'alloc_vm_net', lab_id: LABS.one.toUpperCase() })).toEqual({
      ok: true,
      result: { tap: 'otp1234567812', guest_ip: '10.200.89.127', gateway: '10.200.0.1', netmask: '255.255.0.0', dns: '8.8.8.8', bridge: 'br-octonet', lab_id_suffix: '789abc' },
    });
    expect(tools.calls).toEqual([
      'ip link show br-octonet',
      'ip link add br-octonet type bridge',
      'ip link set br-octonet up',
      'ip addr add 10.200.0.1/16 dev br-octonet',
      'sysctl -w net.ipv4.ip_forward=1',
      'iptables -C FORWARD -s 10.200.0.0/16 -d 169.254.169.254 -j DROP',
      'iptables -I FORWARD 1 -s 10.200.0.0/16 -d 169.254.169.254 -j DROP',
      'iptables -t nat -C POSTROUTING -s 10.200.0.0/16 ! -d 10.200.0.0/16 -j MASQUERADE',
      'iptables -t nat -A POSTROUTING -s 10.200.0.0/16 ! -d 10.200.0.0/16 -j MASQUERADE',
      'ip link show otp1234567812',
      'ip tuntap add dev otp1234567812 mode tap',
      'ip link set otp1234567812 master br-octonet',
      'ip link set otp1234567812 up',
    ]);
    tools.calls.length = 0;
    await ask(netd, { op: 'create', lab_id: LABS.one });
    expect(tools.calls).toEqual([
      'ip link show br-octonet',
      'ip addr add 10.200.0.1/16 dev br-octonet',
      'sysctl -w net.ipv4.ip_forward=1',
      'iptables -C FORWARD -s 10.200.0.0/16 -d 169.254.169.254 -j DROP',
      'iptables -t nat -C POSTROUTING -s 10.200.0.0/16 ! -d 10.200.0.0/16 -j MASQUERADE',
      'ip link show otp1234567812',
    ]);
    // Logged only: the gateway address is already there.
    expect(netd.warnings).toEqual(['Failed to assign gateway IP: Error: ipv4: Address already assigned.']);
  });

  it('releases only the TAP (the bridge stays), idempotently', async () => {
    const netd = new InProcessSharedNetd();
    await ask(netd, { op: 'alloc_vm_net', lab_id: LABS.one });
    for (let i = 0; i < 2; i++) expect(await ask(netd, { op: 'release_vm_net', lab_id: LABS.one })).toEqual({ ok: true, result: { tap_deleted: 'otp1234567812', lab_id_suffix: '789abc' } });
    expect(netd.tools.names()).toEqual(['br-octonet']);
  });

  it('diagnoses with exactly the §2.5 fields: no kind, up or owner', async () => {
    const netd = new InProcessSharedNetd();
    await ask(netd, { op: 'alloc_vm_net', lab_id: LABS.one });
    expect(await ask(netd, { op: 'diag_vm_net', lab_id: LABS.one })).toEqual({
      ok: true,
      result: {
        lab_id_suffix: '789abc',
        tap: { name: 'otp1234567812', exists: true, state: 'down', master: 'br-octonet' },
        bridge: { name: 'br-octonet', exists: true },
        network_params: { guest_ip: '10.200.89.127', gateway: '10.200.0.1', netmask: '255.255.0.0', dns: '8.8.8.8' },
        healthy: true,
      },
    });
    expect(await ask(netd, { op: 'diag_vm_net', lab_id: LABS.other })).toMatchObject({ result: { tap: { name: 'otpabcdefabcd', exists: false, state: null, master: null }, healthy: false } });
  });

  it('lists interfaces + count: br-octonet as a bridge, otp* as taps, obr* as legacy bridges', async () => {
    const netd = new InProcessSharedNetd();
    netd.tools.seed({ name: 'obr0000000000', kind: 'bridge' }).seed({ name: 'eth0', kind: 'bridge' });
    await ask(netd, { op: 'alloc_vm_net', lab_id: LABS.one });
    expect(await ask(netd, { op: 'list' })).toEqual({
      ok: true,
      result: {
        interfaces: [
          { name: 'obr0000000000', type: 'bridge', legacy: true },
          { name: 'br-octonet', type: 'bridge' },
          { name: 'otp1234567812', type: 'tap' },
        ],
        count: 3,
      },
    });
  });

  it.each([
    ['invalid JSON', '{"op": ', { ok: false, error: 'INVALID_JSON', message: 'Invalid JSON request' }],
    ['non-UTF-8 bytes', Buffer.from([0x7b, 0xff, 0x7d]), { ok: false, error: 'INVALID_JSON', message: 'Invalid JSON request' }],
    ['no op', {}, { ok: false, error: 'UNKNOWN_OP', message: 'Unknown operation: None' }],
    ['an unknown op', { op: 'frob' }, { ok: false, error: 'UNKNOWN_OP', message: 'Unknown operation: frob' }],
    ['an empty lab_id', { op: 'alloc_vm_net', lab_id: '' }, { ok: false, error: 'MISSING_LAB_ID', message: 'lab_id required' }],
    ['a null lab_id', { op: 'diag_vm_net', lab_id: null }, { ok: false, error: 'MISSING_LAB_ID', message: 'lab_id required' }],
    ['a lab_id of 0', { op: 'release_vm_net', lab_id: 0 }, { ok: false, error: 'MISSING_LAB_ID', message: 'lab_id required' }],
    ['port forwarding without host_port', { op: 'setup_port_forward', lab_id: LABS.one }, { ok: false, error: 'MISSING_PARAM', message: 'Missing required parameter: host_port' }],
    ['a numeric lab_id', { op: 'alloc_vm_net', lab_id: 123 }, { ok: false, error: { code: 'INVALID_LAB_ID', message: 'lab_id must be a non-empty string' } }],
    ['a lab_id that is no UUID', { op: 'alloc_vm_net', lab_id: 'lab-1' }, { ok: false, error: { code: 'INVALID_LAB_ID', message: 'lab_id must be a valid UUID' } }],
    ['a body that is an array', '[]', { ok: false, error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } }],
    ['a body that is a string', '"x"', { ok: false, error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } }],
    ['a port out of range', { op: 'setup_port_forward', lab_id: LABS.one, host_port: 70000 }, { ok: false, error: { code: 'INVALID_PORT', message: 'Invalid port: 70000' } }],
  ])('answers %s with upstream\'s envelope', async (_label, request, reply) => {
    const netd = new InProcessSharedNetd();
    const bytes = Buffer.isBuffer(request) ? request : Buffer.from(typeof request === 'string' ? request : JSON.stringify(request));
    expect(JSON.parse((await netd.answer(bytes))!)).toEqual(reply);
  });

  it.each([
    ['EPERM', 'ip tuntap add', 'ioctl(TUNSETIFF): Operation not permitted', 'EPERM'],
    ['CREATE_FAILED', 'ip tuntap add', 'something else', 'CREATE_FAILED'],
    ['ATTACH_FAILED (and the TAP is removed)', 'ip link set otp1234567812 master', 'RTNETLINK answers: Invalid argument', 'ATTACH_FAILED'],
    ['UP_FAILED', 'ip link set otp1234567812 up', 'RTNETLINK answers: Invalid argument', 'UP_FAILED'],
  ])('fails alloc with the nested %s', async (_label, prefix, stderr, code) => {
    const netd = new InProcessSharedNetd();
    netd.tools.failOn((line) => line.startsWith(prefix), stderr);
    expect(await ask(netd, { op: 'alloc_vm_net', lab_id: LABS.one })).toMatchObject({ ok: false, error: { code } });
    expect(netd.tools.names()).toEqual(['br-octonet']);
  });

  it('fails release with DELETE_FAILED', async () => {
    const netd = new InProcessSharedNetd();
    await ask(netd, { op: 'alloc_vm_net', lab_id: LABS.one });
    netd.tools.failOn((line) => line === 'ip link del otp1234567812', 'RTNETLINK answers: Device or resource busy');
    expect(await ask(netd, { op: 'release_vm_net', lab_id: LABS.one })).toMatchObject({ ok: false, error: { code: 'DELETE_FAILED' } });
  });

  it('forwards a port with the comment of the lab (true passes as port 1, as in Python), and removes the rules again', async () => {
    const netd = new InProcessSharedNetd();
    expect(await ask(netd, { op: 'setup_port_forward', lab_id: LABS.one, host_port: 30001 })).toEqual({ ok: true, result: { host_port: 30001, guest_ip: '10.200.89.127', guest_port: 6080, lab_id_suffix: '789abc' } });
    expect(await ask(netd, { op: 'setup_port_forward', lab_id: LABS.one, host_port: true, guest_port: 22 })).toMatchObject({ ok: true, result: { host_port: 1, guest_port: 22 } });
    expect(netd.tools.rules.get('nat/PREROUTING')).toHaveLength(2);
    expect(netd.tools.rules.get('nat/PREROUTING')![0]).toContain('octolab_123456789abc');
    expect(await ask(netd, { op: 'cleanup_port_forward', lab_id: LABS.one })).toEqual({ ok: true, result: { deleted_rules: 4, lab_id_suffix: '789abc' } });
    expect(netd.tools.rules.get('nat/OUTPUT')).toEqual([]);
  });

  it('answers DNAT_FAILED where iptables is not installed, and still allocates (NAT failures are only logged)', async () => {
    const tools = new FakeSharedTools();
    tools.iptablesInstalled = false;
    const netd = new InProcessSharedNetd({ tools });
    expect(await ask(netd, { op: 'setup_port_forward', lab_id: LABS.one, host_port: 30001 })).toMatchObject({ ok: false, error: { code: 'DNAT_FAILED' } });
    expect(await ask(netd, { op: 'alloc_vm_net', lab_id: LABS.one })).toMatchObject({ ok: true });
    expect(netd.warnings).toEqual(['Failed to add metadata block: command not found', 'Failed to add MASQUERADE: command not found']);
  });

  it('closes without a reply on an empty read', async () => {
    expect(await new InProcessSharedNetd().answer(Buffer.alloc(0))).toBeNull();
  });
});

/** Sends raw bytes on a real connection (no half-close unless asked) and returns what comes back before the close. */
function exchangeRaw(socketPath: string, payload: Buffer, halfClose: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.createConnection({ path: socketPath }, () => {
      socket.write(payload);
      if (halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

describe('the fake shared-bridge daemon as a process (in-memory tools)', () => {
  it('frames as upstream: one read of at most 4096 bytes, no half-close needed, an empty read closes without a reply', async () => {
    await withDir(
      async ({ path: dir }) => {
        const socketPath = path.join(dir, 'netd.sock');
        const netd = await startSharedNetdProcess({ socketPath, fakeTools: true });
        try {
          const client = createNetdClient({ sockets: createRealSockets(), socketPath, timeoutMs: 10_000 });
          await expect(client.hello()).resolves.toMatchObject({ design: 'shared-bridge', build_id: 'netd-1' });
          await expect(client.alloc(LABS.one)).resolves.toMatchObject({ bridge: 'br-octonet', guest_ip: '10.200.89.127' });
          // As upstream's client sends: no half-close; the daemon answers after its one read.
          expect(JSON.parse(await exchangeRaw(socketPath, Buffer.from('{"op":"ping"}'), false))).toMatchObject({ ok: true, result: { status: 'ok' } });
          // A request longer than one read is cut at 4096 bytes: invalid JSON.
          const long = Buffer.from(JSON.stringify({ op: 'ping', pad: 'x'.repeat(5000) }));
          expect(JSON.parse(await exchangeRaw(socketPath, long, true))).toEqual({ ok: false, error: 'INVALID_JSON', message: 'Invalid JSON request' });
          expect(await exchangeRaw(socketPath, Buffer.alloc(0), true)).toBe('');
        } finally {
          const stopped = await netd.stop();
          expect(stopped.exitCode, stopped.stderr).toBe(0);
        }
      },
      { unsafeCleanup: true },
    );
  });
});
