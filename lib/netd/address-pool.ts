import type { Ipv4Interface } from './links.ts';
import type { NetworkParams } from './protocol.ts';

/**
 * The per-lab address scheme: the pool is cut into equal subnets ("slots") of the per-lab prefix
 * length; slot i's first address is the gateway (on the lab's bridge), the next one the guest.
 * Pure arithmetic on unsigned 32-bit numbers; nothing here touches the host.
 */

/** Defaults: 1024 /24 subnets in 10.208.0.0–10.211.255.255 (clear of upstream's 10.200.0.0/16), DNS as upstream. */
export const DEFAULT_POOL = '10.208.0.0/14';
export const DEFAULT_LAB_PREFIX_LEN = 24;
export const DEFAULT_DNS = '8.8.8.8';
/** The settings `netd serve` uses when none are given. */
export const DEFAULT_POOL_SETTINGS = { pool: DEFAULT_POOL, labPrefixLen: DEFAULT_LAB_PREFIX_LEN, dns: DEFAULT_DNS } as const;
/** A lab subnet needs a network address, a gateway, a guest and a broadcast address: /30 at most. */
export const MAX_LAB_PREFIX_LEN = 30;
export const MIN_PREFIX_LEN = 8;
/** At most 2^20 subnets in one pool (the free-slot search is linear in the devices, not the slots, but keep it sane). */
export const MAX_SLOT_BITS = 20;

/** A validated pool: where the slots are, how big each is, and the DNS server handed to guests. */
export interface AddressPool {
  /** Normalised `a.b.c.d/len`. */
  readonly cidr: string;
  readonly base: number;
  readonly prefixLen: number;
  readonly labPrefixLen: number;
  /** Number of lab subnets. */
  readonly slots: number;
  /** Addresses per lab subnet. */
  readonly slotSize: number;
  readonly dns: string;
}

/** A pool setting that cannot work: the message names the value and what is allowed. */
export class AddressPoolError extends RangeError {}

const QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses a dotted quad (no leading zeros, no blanks) into an unsigned number, or null. */
export function parseIpv4(text: string): number | null {
  const match = QUAD.exec(text);
  if (!match) return null;
  return ((Number(match[1]) * 256 + Number(match[2])) * 256 + Number(match[3])) * 256 + Number(match[4]);
}

/** Formats an unsigned number as a dotted quad. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** The number of addresses in a /len network. */
function sizeOf(prefixLen: number): number {
  return 2 ** (32 - prefixLen);
}

/** Returns the dotted netmask of a prefix length (24 → 255.255.255.0). */
export function netmaskOf(prefixLen: number): string {
  return formatIpv4(2 ** 32 - sizeOf(prefixLen));
}

/** Parses `a.b.c.d/len` into its address and length, or null. */
export function parseCidr(text: string): { address: number; prefixLen: number } | null {
  const match = /^([0-9.]{7,15})\/(3[0-2]|[12]?\d)$/.exec(text);
  const address = match ? parseIpv4(match[1]!) : null;
  return address === null ? null : { address, prefixLen: Number(match![2]) };
}

/** Ranges a pool must not touch: it would hand guests addresses that mean something else. */
const RESERVED: [string, string][] = [
  ['0.0.0.0/8', 'this-network'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (the metadata address 169.254.169.254 lives here)'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved and broadcast'],
];

/** Validates the pool, the per-lab prefix length and the DNS server; throws AddressPoolError naming the problem and the fix. */
export function createAddressPool(settings: { pool: string; labPrefixLen: number; dns: string }): AddressPool {
  const { labPrefixLen, dns } = settings;
  const parsed = parseCidr(settings.pool);
  if (!parsed) throw new AddressPoolError(`pool ${JSON.stringify(settings.pool)} is not an IPv4 network such as ${DEFAULT_POOL}`);
  const { address, prefixLen } = parsed;
  if (address % sizeOf(prefixLen) !== 0) {
    const base = address - (address % sizeOf(prefixLen));
    throw new AddressPoolError(`pool ${settings.pool} is not a network address: its host bits are set (did you mean ${formatIpv4(base)}/${prefixLen}?)`);
  }
  if (!Number.isInteger(labPrefixLen) || labPrefixLen < MIN_PREFIX_LEN || labPrefixLen > MAX_LAB_PREFIX_LEN) {
    throw new AddressPoolError(`the per-lab prefix length must be a whole number from ${MIN_PREFIX_LEN} to ${MAX_LAB_PREFIX_LEN}, got ${labPrefixLen}`);
  }
  if (prefixLen < MIN_PREFIX_LEN) throw new AddressPoolError(`pool ${settings.pool} is larger than a /${MIN_PREFIX_LEN}; choose a smaller one such as ${DEFAULT_POOL}`);
  if (prefixLen > labPrefixLen) {
    throw new AddressPoolError(`pool ${settings.pool} is smaller than one /${labPrefixLen} lab subnet; choose a pool of /${labPrefixLen} or larger, or a longer per-lab prefix length`);
  }
  if (labPrefixLen - prefixLen > MAX_SLOT_BITS) {
    throw new AddressPoolError(`pool ${settings.pool} holds more than 2^${MAX_SLOT_BITS} /${labPrefixLen} subnets; choose a smaller pool or a shorter per-lab prefix length`);
  }
  for (const [range, what] of RESERVED) {
    const reserved = parseCidr(range)!;
    if (overlaps(address, prefixLen, reserved.address, reserved.prefixLen)) {
      throw new AddressPoolError(`pool ${settings.pool} overlaps ${range} (${what}); choose a private range such as ${DEFAULT_POOL}`);
    }
  }
  if (parseIpv4(dns) === null) throw new AddressPoolError(`dns ${JSON.stringify(dns)} is not an IPv4 address such as ${DEFAULT_DNS}`);
  return { cidr: `${formatIpv4(address)}/${prefixLen}`, base: address, prefixLen, labPrefixLen, slots: 2 ** (labPrefixLen - prefixLen), slotSize: sizeOf(labPrefixLen), dns };
}

function overlaps(a: number, aLen: number, b: number, bLen: number): boolean {
  return a < b + sizeOf(bLen) && b < a + sizeOf(aLen);
}

/** Returns the gateway address of a slot as `ip addr add` takes it: `a.b.c.1/len`. */
export function gatewayCidr(pool: AddressPool, slot: number): string {
  return `${formatIpv4(pool.base + slot * pool.slotSize + 1)}/${pool.labPrefixLen}`;
}

/** Returns what a lab in `slot` tells its guest: address, gateway, netmask and DNS server. */
export function paramsOf(pool: AddressPool, slot: number): NetworkParams {
  const subnet = pool.base + slot * pool.slotSize;
  return { guest_ip: formatIpv4(subnet + 2), gateway: formatIpv4(subnet + 1), netmask: netmaskOf(pool.labPrefixLen), dns: pool.dns };
}

/** Returns the slot whose gateway this address is (exactly: same prefix length, inside the pool), or null. */
export function slotOfGateway(pool: AddressPool, iface: Ipv4Interface): number | null {
  const address = parseIpv4(iface.address);
  if (address === null || iface.prefixLen !== pool.labPrefixLen) return null;
  const offset = address - pool.base;
  if (offset < 0 || offset >= pool.slots * pool.slotSize || offset % pool.slotSize !== 1) return null;
  return Math.floor(offset / pool.slotSize);
}

/** Returns the slots [from, to) that the network of an address overlaps, or null when it lies outside the pool. */
export function slotsTouched(pool: AddressPool, iface: Ipv4Interface): [number, number] | null {
  const address = parseIpv4(iface.address);
  if (address === null || !Number.isInteger(iface.prefixLen) || iface.prefixLen < 0 || iface.prefixLen > 32) return null;
  const size = sizeOf(iface.prefixLen);
  const start = Math.max(address - (address % size), pool.base);
  const end = Math.min(address - (address % size) + size, pool.base + pool.slots * pool.slotSize);
  if (start >= end) return null;
  return [Math.floor((start - pool.base) / pool.slotSize), Math.ceil((end - pool.base) / pool.slotSize)];
}

/** The slot a lab tries first: the first 8 hex digits of its id, modulo the number of slots. */
export function preferredSlot(pool: AddressPool, labId: string): number {
  return Number.parseInt(labId.slice(0, 8), 16) % pool.slots;
}
