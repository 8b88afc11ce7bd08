import { describe, expect, it } from 'vitest';
import { designFromBridge, designFromHello, isInterfaceName } from '../../../lib/netd/design.ts';
import { guestMacFor, hasIpArgument, kernelIpArgument, netmaskPrefix, parseIpv4 } from '../../../lib/netd/guest-network.ts';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { LABS } from './support.ts';

describe('recognising the design', () => {
  const names = labLinkNames(LABS.one);

  it.each([
    ['the lab\'s own obr bridge', 'obr1234567812', 'per-lab'],
    ['br-octonet', 'br-octonet', 'shared-bridge'],
    ['another shared bridge name', 'virbr0', 'shared-bridge'],
    ['another lab\'s obr bridge', 'obrabcdefabcd', null],
    ['a TAP name', 'otp1234567812', null],
    ['an obr-family name that is not 10 hex digits', 'obrX', null],
    ['a name longer than 15 bytes', 'br-octonet-and-more', null],
    ['a name with a slash', 'br/x', null],
    ['a name with a blank', 'br x', null],
    ['..', '..', null],
  ])('reads %s as %s', (_label, bridge, design) => {
    expect(designFromBridge(bridge, names)).toBe(design);
  });

  it.each([
    [{ design: 'shared-bridge', supported_ops: [], build_id: 'octolab-verify-netd-1' }, 'shared-bridge'],
    [{ design: null, supported_ops: ['setup_port_forward'], build_id: null }, 'shared-bridge'],
    [{ design: null, supported_ops: [], build_id: 'netd-1' }, 'shared-bridge'],
    [{ design: null, supported_ops: [], build_id: 'octolab-verify-netd-1' }, 'per-lab'],
    [{ design: null, supported_ops: ['alloc_vm_net'], build_id: 'custom' }, null],
  ])('reads hello %j as %s (its own field first)', (fields, design) => {
    expect(designFromHello(fields).design).toBe(design);
  });

  it('accepts interface names the kernel and iproute2 both take, and nothing hostile', () => {
    expect(['br-octonet', 'eth0', 'a', 'x_y.z-1', '123456789012345'].every(isInterfaceName)).toBe(true);
    expect(['', '.', '1234567890123456', 'a\nb', 'a:b', 'ä', '$(reboot)'].some(isInterfaceName)).toBe(false);
  });
});

describe('guest parameters', () => {
  it.each([
    ['10.200.89.127', 0x0ac8597f],
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['10.200.300.1', null],
    ['010.1.1.1', null],
    ['1.2.3', null],
    ['1.2.3.4 ', null],
    ['1.2.3.4.5', null],
    ['::1', null],
  ])('parses %j as IPv4 %s', (text, value) => {
    expect(parseIpv4(text)).toBe(value);
  });

  it.each([
    ['255.255.0.0', 16],
    ['255.255.255.0', 24],
    ['255.255.255.252', 30],
    ['255.255.255.255', 32],
    ['0.0.0.0', 0],
    ['255.0.255.0', null],
    ['255.255.255.1', null],
    ['nonsense', null],
  ])('reads netmask %s as /%s', (mask, prefix) => {
    expect(netmaskPrefix(mask)).toBe(prefix);
  });

  it.each([
    ['12345678-1234-4234-8234-123456789abc', 'AA:FC:00:34:56:78'],
    ['abcdefab-cdef-4abc-8def-abcdefabcdef', 'AA:FC:00:CD:EF:AB'],
    ['00000000-0000-4000-8000-000000000001', 'AA:FC:00:00:00:00'],
  ])('derives the guest MAC of lab %s as the backend does: %s', (labId, mac) => {
    expect(guestMacFor(labLinkNames(labId))).toBe(mac);
  });

  it('builds the backend\'s ip= argument with the netmask given, or none without an address', () => {
    expect(kernelIpArgument({ guest_ip: '10.77.3.2', gateway: '10.77.3.1', netmask: '255.255.255.0', dns: null })).toBe(' ip=10.77.3.2::10.77.3.1:255.255.255.0::eth0:none');
    expect(kernelIpArgument({ guest_ip: '10.77.3.2', gateway: null, netmask: '255.255.255.0', dns: '8.8.8.8' })).toBeNull();
    expect([hasIpArgument('console=ttyS0 ip=dhcp'), hasIpArgument('ip=on'), hasIpArgument('console=ttyS0 nfsip=x')]).toEqual([true, true, false]);
  });
});
