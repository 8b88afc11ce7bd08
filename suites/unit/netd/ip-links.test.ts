import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../../fixtures/fake-host.ts';
import { createIpLinks, ipArgsFor } from '../../../lib/host/ip-links.ts';
import type { HostProcesses } from '../../../lib/host/types.ts';
import { LinkQueryError, type LinkOp } from '../../../lib/netd/links.ts';

const ALIAS = 'octolab:lab=12345678-1234-4234-8234-123456789abc';
const ALLOC: LinkOp[] = [
  { op: 'add-bridge', name: 'obr1234567812' },
  { op: 'set-alias', name: 'obr1234567812', alias: ALIAS },
  { op: 'add-address', name: 'obr1234567812', address: '10.210.120.1/24' },
  { op: 'set-up', name: 'obr1234567812' },
  { op: 'add-tap', name: 'otp1234567812', owner: 1000 },
  { op: 'set-alias', name: 'otp1234567812', alias: ALIAS },
  { op: 'set-master', name: 'otp1234567812', master: 'obr1234567812' },
  { op: 'set-up', name: 'otp1234567812' },
];

/** FakeHost's strict processes, recording what each run got on stdin. */
function recording(host: FakeHost): { proc: HostProcesses; inputs: string[] } {
  const inputs: string[] = [];
  return {
    inputs,
    proc: {
      which: host.proc.which,
      run: (file, args, options) => {
        inputs.push(options.input ?? '');
        return host.proc.run(file, args, options);
      },
    },
  };
}

const SAMPLE = JSON.stringify([
  { ifname: 'lo', flags: ['LOOPBACK', 'UP'], operstate: 'UNKNOWN' },
  {
    ifname: 'obr1234567812', flags: ['BROADCAST', 'UP'], operstate: 'UNKNOWN', ifalias: ALIAS, linkinfo: { info_kind: 'bridge', info_data: {} },
    addr_info: [
      { family: 'inet', local: '10.210.120.1', prefixlen: 24, scope: 'global', label: 'obr1234567812' },
      { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' },
      { family: 'inet', local: 42, prefixlen: 24 },
    ],
  },
  {
    ifname: 'otp1234567812', flags: ['NO-CARRIER', 'UP'], operstate: 'DOWN', master: 'obr1234567812', ifalias: ALIAS,
    linkinfo: { info_kind: 'tun', info_data: { type: 'tap', user: 'nobody' } },
  },
  { ifname: 'otpaaaaaaaaaa', flags: [], operstate: 'DOWN', linkinfo: { info_kind: 'tun', info_data: { type: 'tun', user: 4242 } } },
  // What iproute2 6.1 prints for a TAP a process holds open: LOWER_UP, operstate UP.
  {
    ifname: 'otpcccccccccc', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], operstate: 'UP',
    linkinfo: { info_kind: 'tun', info_data: { type: 'tap', pi: false, vnet_hdr: false, multi_queue: false, persist: true, user: 4242 } },
  },
  { ifname: 'obrbbbbbbbbbb', flags: [], operstate: 'DOWN', linkinfo: { info_kind: 'dummy' } },
  { ifname: 'obr-not-ours', flags: ['UP'], operstate: 'UP' },
]);

describe('iproute2 links', () => {
  it('applies a whole request as one `ip -n NS -batch -` process, one line per step', async () => {
    const host = new FakeHost().withCommand(['ip', '-n', 'ovt-x', '-batch', '-'], { exitCode: 0 });
    const { proc, inputs } = recording(host);
    await expect(createIpLinks({ proc, netns: 'ovt-x' }).apply(ALLOC)).resolves.toEqual({ ok: true });
    expect(host.calls).toHaveLength(1);
    expect(inputs[0]).toBe(
      [
        'link add obr1234567812 type bridge',
        `link set dev obr1234567812 alias ${ALIAS}`,
        'address add 10.210.120.1/24 dev obr1234567812',
        'link set dev obr1234567812 up',
        'tuntap add dev otp1234567812 mode tap user 1000',
        `link set dev otp1234567812 alias ${ALIAS}`,
        'link set dev otp1234567812 master obr1234567812',
        'link set dev otp1234567812 up',
        '',
      ].join('\n'),
    );
  });

  it('reports which line failed from "Command failed -:N", with the tool\'s words and their errno', async () => {
    const host = new FakeHost().withCommand(['ip', '-batch', '-'], { exitCode: 1, stderr: 'ioctl(TUNSETIFF): Device or resource busy\nCommand failed -:5\n' });
    const result = await createIpLinks({ proc: recording(host).proc }).apply(ALLOC);
    expect(result).toEqual({ ok: false, failure: { index: 4, errno: 'EBUSY', message: 'ioctl(TUNSETIFF): Device or resource busy' } });
  });

  it.each([
    ['a parse error without a line number', { exitCode: 255, stderr: 'Error: argument "obr1234567812" is wrong: Device does not exist\n' }, { index: null, errno: 'ENODEV' }],
    ['a timeout', { exitCode: null, timedOut: true, signal: 'SIGKILL' }, { index: null, errno: 'ETIMEDOUT' }],
    ['a missing ip binary', { spawnErrno: 'ENOENT' }, { index: 0, errno: 'OTHER' }],
    ['EPERM', { exitCode: 1, stderr: 'RTNETLINK answers: Operation not permitted\nCommand failed -:1\n' }, { index: 0, errno: 'EPERM' }],
    ['an address already there (iproute2 6.1 wording)', { exitCode: 2, stderr: 'Error: ipv4: Address already assigned.\nCommand failed -:3\n' }, { index: 2, errno: 'EEXIST' }],
  ])('reports %s as a failure, never a throw', async (_label, answer, expected) => {
    const host = new FakeHost().withCommand(['ip', '-batch', '-'], answer);
    const result = await createIpLinks({ proc: recording(host).proc }).apply(ALLOC);
    expect(result).toMatchObject({ ok: false, failure: expected });
  });

  it('runs one process per step in baseline mode and stops at the first failure', async () => {
    const host = new FakeHost()
      .withCommand(['ip', 'link', 'add', 'obr1234567812', 'type', 'bridge'], { exitCode: 0 })
      .withCommand(['ip', 'link', 'set', 'dev', 'obr1234567812', 'alias', ALIAS], { exitCode: 2, stderr: 'RTNETLINK answers: Invalid argument\n' });
    const result = await createIpLinks({ proc: host.proc, batch: false }).apply(ALLOC);
    expect(result).toEqual({ ok: false, failure: { index: 1, errno: 'OTHER', message: 'RTNETLINK answers: Invalid argument' } });
    expect(host.calls).toHaveLength(2);
  });

  it('lists only obr/otp + 10 hex devices, with kind, alias, master, up, operstate, carrier, the TAP owner as a uid and the IPv4 addresses', async () => {
    const host = new FakeHost()
      .withCommand(['ip', '-j', '-d', 'address', 'show'], { stdout: SAMPLE })
      .withCommand(['getent', 'passwd', 'nobody'], { stdout: 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' });
    const links = await createIpLinks({ proc: host.proc }).listLabLinks();
    expect(links).toEqual([
      { name: 'obr1234567812', kind: 'bridge', alias: ALIAS, master: null, up: true, operState: 'unknown', owner: null, carrier: null, addresses: [{ address: '10.210.120.1', prefixLen: 24 }] },
      { name: 'otp1234567812', kind: 'tap', alias: ALIAS, master: 'obr1234567812', up: true, operState: 'down', owner: 65534, carrier: false, addresses: [] },
      { name: 'otpaaaaaaaaaa', kind: 'tun', alias: null, master: null, up: false, operState: 'down', owner: 4242, carrier: null, addresses: [] },
      { name: 'otpcccccccccc', kind: 'tap', alias: null, master: null, up: true, operState: 'up', owner: 4242, carrier: true, addresses: [] },
      { name: 'obrbbbbbbbbbb', kind: 'dummy', alias: null, master: null, up: false, operState: 'down', owner: null, carrier: null, addresses: [] },
    ]);
  });

  it.each([
    ['a failing ip', { exitCode: 1, stderr: 'Cannot open network namespace "ovt-gone": No such file or directory\n' }],
    ['output that is not JSON', { stdout: 'garbage' }],
    ['a JSON object instead of an array', { stdout: '{}' }],
  ])('throws LinkQueryError on %s', async (_label, answer) => {
    const host = new FakeHost().withCommand(['ip', '-j', '-d', 'address', 'show'], answer);
    await expect(createIpLinks({ proc: host.proc }).listLabLinks()).rejects.toBeInstanceOf(LinkQueryError);
  });

  it('adds and removes an address with `ip address add|del a.b.c.d/len dev NAME`', () => {
    expect(ipArgsFor({ op: 'add-address', name: 'obr1234567812', address: '10.210.120.1/24' })).toEqual(['address', 'add', '10.210.120.1/24', 'dev', 'obr1234567812']);
    expect(ipArgsFor({ op: 'del-address', name: 'obr1234567812', address: '10.210.120.1/24' })).toEqual(['address', 'del', '10.210.120.1/24', 'dev', 'obr1234567812']);
  });

  it('deletes a TAP with `ip tuntap del`, which the kernel refuses while a process holds the TAP', () => {
    expect(ipArgsFor({ op: 'delete-tap', name: 'otp1234567812' })).toEqual(['tuntap', 'del', 'dev', 'otp1234567812', 'mode', 'tap']);
    expect(ipArgsFor({ op: 'delete', name: 'otp1234567812' })).toEqual(['link', 'del', 'dev', 'otp1234567812']);
  });

  it.each([
    { op: 'add-bridge', name: 'obr 1' },
    { op: 'delete-tap', name: 'otp;reboot' },
    { op: 'delete', name: 'a-name-longer-than-15' },
    { op: 'set-alias', name: 'obr1234567812', alias: 'two words' },
    { op: 'set-master', name: 'otp1234567812', master: 'x\ny' },
    { op: 'add-address', name: 'obr1234567812', address: '10.0.0.1/24 dev eth0' },
    { op: 'add-address', name: 'obr1234567812', address: '10.0.0.1\nlink del eth0' },
    { op: 'add-address', name: 'obr1234567812', address: '10.0.0.256/24' },
    { op: 'del-address', name: 'obr1234567812', address: '010.0.0.1/24' },
    { op: 'del-address', name: 'obr1234567812', address: '10.0.0.1/33' },
  ] as LinkOp[])('refuses to build a command from an unsafe token: %j', (op) => {
    expect(() => ipArgsFor(op)).toThrow(RangeError);
  });
});
