import { constants } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFakeSettings } from '../../../fixtures/fake-firecracker/fake-modes.ts';
import { FakeVmm, type ApiResult } from '../../../fixtures/fake-firecracker/fake-vmm.ts';
import { FcLogger } from '../../../fixtures/fake-firecracker/fc-logger.ts';
import { rustIoDebugErrno } from '../../../fixtures/fake-firecracker/os-errors.ts';
import { createTunTapPort, TUN_DEVICE, TUNSETIFF, type TapOpenResult, type TapPort, type TunLibc } from '../../../fixtures/fake-firecracker/tun-tap.ts';
import { hintForFault } from '../../../lib/firecracker/api-hints.ts';
import { O_CLOEXEC, O_RDWR } from '../../../lib/host/libc.ts';
import { runFake } from './fake-process.ts';

const PREFIX = 'Network config error: Could not create the network device: ';
const EPERM_TEXT = 'TapOpen(IoctlError(Os { code: 1, kind: PermissionDenied, message: "Operation not permitted" }))';
const EBUSY_TEXT = 'TapOpen(IoctlError(Os { code: 16, kind: ResourceBusy, message: "Device or resource busy" }))';

/** A libc that records every call and fails the calls it is told to, with the errno it is given. */
function recordingLibc(fail: { open?: number; ioctl?: number } = {}) {
  const calls: string[] = [];
  let errno = 0;
  let lastIfreq: Buffer | null = null;
  const libc: TunLibc = {
    open(path, flags) {
      calls.push(`open ${path} ${flags}`);
      if (fail.open === undefined) return 7;
      errno = fail.open;
      return -1;
    },
    close(fd) {
      calls.push(`close ${fd}`);
      return 0;
    },
    ioctlBuffer(fd, request, arg) {
      calls.push(`ioctl ${fd} 0x${request.toString(16)}`);
      lastIfreq = Buffer.from(arg);
      if (fail.ioctl === undefined) return 0;
      errno = fail.ioctl;
      return -1;
    },
    errno: () => errno,
  };
  return { libc, calls, ifreq: () => lastIfreq };
}

/** A TAP port over an in-memory kernel: one fd per TAP, EBUSY while held, EPERM for names in `foreign`. */
function memoryTaps(foreign: string[] = []) {
  const held = new Map<number, string>();
  const log: string[] = [];
  let next = 100;
  const port: TapPort = {
    open(name): TapOpenResult {
      log.push(`open ${name}`);
      // The texts come from the same errno table the real door uses.
      if (foreign.includes(name)) return { ok: false, tapError: `IoctlError(${rustIoDebugErrno(1)})` };
      if ([...held.values()].includes(name)) return { ok: false, tapError: `IoctlError(${rustIoDebugErrno(16)})` };
      held.set(next, name);
      return { ok: true, fd: next++ };
    },
    close(fd) {
      log.push(`close ${fd}`);
      held.delete(fd);
    },
  };
  return { port, held, log };
}

function vmmWith(taps: TapPort | null): FakeVmm {
  const settings = parseFakeSettings({}, []);
  return new FakeVmm({ id: 'unit', logger: new FcLogger('unit'), settings, bootTimer: false, writeSerial: () => undefined, stop: () => undefined, taps });
}

const faultOf = (result: ApiResult) => (result.status === 400 ? result.fault : null);

describe('FAKE_FIRECRACKER_OPEN_TAP', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['0', false],
    ['1', true],
    [' 1 ', true],
  ])('reads %j as open-TAP mode %s', (value, expected) => {
    expect(parseFakeSettings(value === undefined ? {} : { FAKE_FIRECRACKER_OPEN_TAP: value }, []).openTap).toBe(expected);
  });

  it('refuses any other value, naming the variable, so a typo never silently skips the real open', () => {
    expect(() => parseFakeSettings({ FAKE_FIRECRACKER_OPEN_TAP: 'yes' }, [])).toThrow(/FAKE_FIRECRACKER_OPEN_TAP must be 1 or 0, got "yes"/);
  });

  it('makes the fake process exit 2 on a bad value before it creates its socket', async () => {
    const run = await runFake(['--api-sock', '/nonexistent/dir/api.sock'], { env: { FAKE_FIRECRACKER_OPEN_TAP: 'true' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/FAKE_FIRECRACKER_OPEN_TAP must be 1 or 0/);
  }, 60_000);
});

describe('the TAP door (createTunTapPort) as Firecracker opens a TAP', () => {
  it('opens /dev/net/tun read-write, non-blocking, close-on-exec, and attaches with TUNSETIFF and IFF_TAP|IFF_NO_PI|IFF_VNET_HDR', () => {
    const { libc, calls, ifreq } = recordingLibc();
    expect(createTunTapPort(() => libc).open('otp0123456789')).toEqual({ ok: true, fd: 7 });
    expect(calls).toEqual([`open ${TUN_DEVICE} ${O_RDWR | constants.O_NONBLOCK | O_CLOEXEC}`, `ioctl 7 0x${TUNSETIFF.toString(16)}`]);
    expect(TUNSETIFF).toBe(0x400454ca);
    const request = ifreq()!;
    expect(request.length).toBe(40);
    expect(request.subarray(0, 16)).toEqual(Buffer.concat([Buffer.from('otp0123456789'), Buffer.alloc(3)]));
    expect(request.readUInt16LE(16)).toBe(0x0002 | 0x1000 | 0x4000);
  });

  it.each([
    [1, 'IoctlError(Os { code: 1, kind: PermissionDenied, message: "Operation not permitted" })'],
    [16, 'IoctlError(Os { code: 16, kind: ResourceBusy, message: "Device or resource busy" })'],
    [22, 'IoctlError(Os { code: 22, kind: InvalidInput, message: "Invalid argument" })'],
    [77, 'IoctlError(Os { code: 77, kind: Uncategorized, message: "File descriptor in bad state" })'],
    [133, 'IoctlError(Os { code: 133, kind: Uncategorized, message: "Unknown error 133" })'],
  ])('reports a TUNSETIFF failure with errno %i as %s and closes the fd', (errno, text) => {
    const { libc, calls } = recordingLibc({ ioctl: errno });
    expect(createTunTapPort(() => libc).open('otp0123456789')).toEqual({ ok: false, tapError: text });
    expect(calls.at(-1)).toBe('close 7');
  });

  it('reports a failed open of /dev/net/tun as OpenTun with the real errno, without an ioctl', () => {
    const { libc, calls } = recordingLibc({ open: 13 });
    expect(createTunTapPort(() => libc).open('otp0123456789')).toEqual({ ok: false, tapError: 'OpenTun(Os { code: 13, kind: PermissionDenied, message: "Permission denied" })' });
    expect(calls).toHaveLength(1);
  });
});

describe('PUT /network-interfaces with a TAP port (open-TAP mode)', () => {
  it('opens the named TAP once and holds its fd', () => {
    const taps = memoryTaps();
    const vmm = vmmWith(taps.port);
    expect(vmm.putNet({ iface_id: 'eth0', host_dev_name: 'otp0123456789' })).toEqual({ status: 204 });
    expect(taps.log).toEqual(['open otp0123456789']);
    expect([...taps.held.values()]).toEqual(['otp0123456789']);
    expect(vmm.nets.get('eth0')).toMatchObject({ iface_id: 'eth0', host_dev_name: 'otp0123456789' });
  });

  it('answers a TAP owned by another user with Firecracker’s TapOpen EPERM text and records no interface', () => {
    const vmm = vmmWith(memoryTaps(['otp0123456789']).port);
    expect(faultOf(vmm.putNet({ iface_id: 'eth0', host_dev_name: 'otp0123456789' }))).toBe(`${PREFIX}${EPERM_TEXT}`);
    expect(vmm.nets.size).toBe(0);
  });

  it('gives the EPERM text the --tap-owner hint (it once got the generic "used by another VM" one), and EBUSY the generic one', () => {
    expect(hintForFault(`${PREFIX}${EPERM_TEXT}`)).toMatch(/belongs to another user: start microvm-netd with --tap-owner/);
    expect(hintForFault(`${PREFIX}${EBUSY_TEXT}`)).toMatch(/not used by another VM/);
  });

  it('lets the kernel refuse a TAP that another interface holds, with the same text the default mode simulates', () => {
    const open = vmmWith(memoryTaps().port);
    const simulated = vmmWith(null);
    for (const vmm of [open, simulated]) expect(vmm.putNet({ iface_id: 'eth0', host_dev_name: 'otp0123456789' })).toEqual({ status: 204 });
    const fromKernel = faultOf(open.putNet({ iface_id: 'eth1', host_dev_name: 'otp0123456789' }));
    expect(fromKernel).toBe(`${PREFIX}${EBUSY_TEXT}`);
    expect(faultOf(simulated.putNet({ iface_id: 'eth1', host_dev_name: 'otp0123456789' }))).toBe(fromKernel);
  });

  it('closes the fd of the interface being replaced before opening again, so a re-PUT of the same TAP is not busy', () => {
    const taps = memoryTaps();
    const vmm = vmmWith(taps.port);
    vmm.putNet({ iface_id: 'eth0', host_dev_name: 'otp0123456789' });
    expect(vmm.putNet({ iface_id: 'eth0', host_dev_name: 'otp0123456789' })).toEqual({ status: 204 });
    expect(taps.log).toEqual(['open otp0123456789', 'close 100', 'open otp0123456789']);
    expect(taps.held.size).toBe(1);
  });

  it('still checks the name and the MAC before touching the kernel', () => {
    const taps = memoryTaps();
    const vmm = vmmWith(taps.port);
    expect(faultOf(vmm.putNet({ iface_id: 'eth0', host_dev_name: 'a-name-longer-than-15' }))).toBe(`${PREFIX}TapOpen(InvalidIfname) for "a-name-longer-than-15"`);
    vmm.putNet({ iface_id: 'eth0', host_dev_name: 'otp0123456789', guest_mac: '06:00:AC:10:00:02' });
    expect(faultOf(vmm.putNet({ iface_id: 'eth1', host_dev_name: 'otp9999999999', guest_mac: '06:00:ac:10:00:02' }))).toBe('Network config error: The MAC address is already in use: 06:00:ac:10:00:02');
    expect(taps.log).toEqual(['open otp0123456789']);
  });

  it('without a TAP port (the default) opens nothing and accepts a TAP that does not exist', () => {
    const vmm = vmmWith(null);
    expect(vmm.putNet({ iface_id: 'eth0', host_dev_name: 'otpdoesnotexist' })).toEqual({ status: 204 });
  });
});
