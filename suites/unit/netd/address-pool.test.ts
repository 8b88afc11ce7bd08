import { describe, expect, it } from 'vitest';
import { firstFree } from '../../../lib/netd/address-book.ts';
import {
  AddressPoolError,
  createAddressPool,
  DEFAULT_POOL_SETTINGS,
  formatIpv4,
  gatewayCidr,
  netmaskOf,
  paramsOf,
  parseIpv4,
  preferredSlot,
  slotOfGateway,
  slotsTouched,
} from '../../../lib/netd/address-pool.ts';

const pool = createAddressPool(DEFAULT_POOL_SETTINGS);

describe('the address pool', () => {
  it('defaults to 1024 /24 subnets in 10.208.0.0/14 (clear of upstream\'s 10.200.0.0/16) with dns 8.8.8.8', () => {
    expect(pool).toMatchObject({ cidr: '10.208.0.0/14', labPrefixLen: 24, slots: 1024, slotSize: 256, dns: '8.8.8.8' });
    expect(slotsTouched(pool, { address: '10.200.0.1', prefixLen: 16 })).toBeNull();
  });

  it('works the documented example: lab 12345678-… prefers slot 0x278 = 632, 10.210.120.0/24, gateway .1 on the bridge, guest .2', () => {
    expect(preferredSlot(pool, '12345678-1234-4234-8234-123456789abc')).toBe(632);
    expect(gatewayCidr(pool, 632)).toBe('10.210.120.1/24');
    expect(paramsOf(pool, 632)).toEqual({ guest_ip: '10.210.120.2', gateway: '10.210.120.1', netmask: '255.255.255.0', dns: '8.8.8.8' });
  });

  it('cuts other prefix lengths the same way: /30 per lab gives gateway .1 and guest .2 of each block of 4', () => {
    const small = createAddressPool({ pool: '172.30.0.0/22', labPrefixLen: 30, dns: '1.1.1.1' });
    expect(small.slots).toBe(256);
    expect(paramsOf(small, 3)).toEqual({ guest_ip: '172.30.0.14', gateway: '172.30.0.13', netmask: '255.255.255.252', dns: '1.1.1.1' });
    expect(slotOfGateway(small, { address: '172.30.0.13', prefixLen: 30 })).toBe(3);
  });

  it('recognises a slot only from its exact gateway address and prefix length inside the pool', () => {
    expect(slotOfGateway(pool, { address: '10.210.120.1', prefixLen: 24 })).toBe(632);
    expect(slotOfGateway(pool, { address: '10.210.120.2', prefixLen: 24 })).toBeNull();
    expect(slotOfGateway(pool, { address: '10.210.120.1', prefixLen: 16 })).toBeNull();
    expect(slotOfGateway(pool, { address: '10.212.0.1', prefixLen: 24 })).toBeNull();
    expect(slotOfGateway(pool, { address: '10.207.255.1', prefixLen: 24 })).toBeNull();
  });

  it('counts every slot an address\'s network overlaps as touched, clipped to the pool', () => {
    expect(slotsTouched(pool, { address: '10.208.1.77', prefixLen: 24 })).toEqual([1, 2]);
    expect(slotsTouched(pool, { address: '10.208.1.77', prefixLen: 23 })).toEqual([0, 2]);
    expect(slotsTouched(pool, { address: '10.208.1.77', prefixLen: 25 })).toEqual([1, 2]);
    expect(slotsTouched(pool, { address: '10.211.255.1', prefixLen: 8 })).toEqual([0, 1024]);
    expect(slotsTouched(pool, { address: '192.168.1.1', prefixLen: 24 })).toBeNull();
  });

  it.each([
    ['10.208.0.0/33', 24, '8.8.8.8', /not an IPv4 network/],
    ['10.208.0.0', 24, '8.8.8.8', /not an IPv4 network/],
    ['10.208.1.0/14', 24, '8.8.8.8', /not a network address.*did you mean 10\.208\.0\.0\/14/],
    ['10.208.0.0/14', 31, '8.8.8.8', /from 8 to 30/],
    ['10.208.0.0/25', 24, '8.8.8.8', /smaller than one \/24 lab subnet/],
    ['10.0.0.0/7', 24, '8.8.8.8', /larger than a \/8/],
    ['10.0.0.0/8', 30, '8.8.8.8', /more than 2\^20/],
    ['127.0.0.0/16', 24, '8.8.8.8', /overlaps 127\.0\.0\.0\/8 \(loopback\)/],
    ['169.254.0.0/16', 24, '8.8.8.8', /metadata/],
    ['224.0.0.0/8', 24, '8.8.8.8', /multicast/],
    ['10.208.0.0/14', 24, '8.8.8', /dns "8\.8\.8" is not an IPv4 address/],
    ['10.208.0.0/14', 24, '08.8.8.8', /dns/],
  ])('refuses pool %s with /%i per lab and dns %s, saying why', (cidr, labPrefixLen, dns, message) => {
    expect(() => createAddressPool({ pool: cidr, labPrefixLen, dns })).toThrow(AddressPoolError);
    expect(() => createAddressPool({ pool: cidr, labPrefixLen, dns })).toThrow(message);
  });

  it('parses and formats dotted quads strictly', () => {
    expect(parseIpv4('255.255.255.255')).toBe(2 ** 32 - 1);
    expect(formatIpv4(2 ** 32 - 1)).toBe('255.255.255.255');
    for (const bad of ['1.2.3', '1.2.3.4.5', '1.2.3.256', '01.2.3.4', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d', '']) expect(parseIpv4(bad)).toBeNull();
    expect([8, 16, 24, 30, 32].map(netmaskOf)).toEqual(['255.0.0.0', '255.255.0.0', '255.255.255.0', '255.255.255.252', '255.255.255.255']);
  });

  it('finds the first free slot from the preferred one, probing upward and wrapping, or none', () => {
    expect(firstFree(8, 3, [])).toBe(3);
    expect(firstFree(8, 3, [[3, 4], [4, 6]])).toBe(6);
    expect(firstFree(8, 6, [[6, 8], [0, 2]])).toBe(2);
    expect(firstFree(8, 0, [[0, 8]])).toBeNull();
    expect(firstFree(8, 5, [[5, 8], [0, 5]])).toBeNull();
    expect(firstFree(8, 2, [[0, 3], [1, 2], [3, 3]])).toBe(3);
  });
});
