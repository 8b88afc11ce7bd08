/**
 * The guest's network parameters as netd hands them out (guest_ip, gateway, netmask, dns), and
 * what OctoLab's backend derives from them for a VM: the kernel's `ip=` boot argument and the
 * guest MAC. Pure functions; addresses from the socket are validated here before any use.
 */
import type { LabLinkNames } from './names.ts';

/** The four parameters; null for one the daemon did not send (unknown, never guessed). */
export interface GuestNetwork {
  guest_ip: string | null;
  gateway: string | null;
  netmask: string | null;
  dns: string | null;
}

/** The names of the four, in the order upstream's client reads them. */
export const GUEST_FIELDS = ['guest_ip', 'gateway', 'netmask', 'dns'] as const;

const DOTTED_QUAD = /^(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3}$/;

/** Returns the address as a 32-bit number, or null unless `text` is a dotted quad (no leading zeros, each part ≤ 255). */
export function parseIpv4(text: string): number | null {
  if (!DOTTED_QUAD.test(text)) return null;
  const parts = text.split('.').map(Number);
  if (parts.some((part) => part > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Returns the prefix length of a netmask (255.255.255.0 → 24), or null unless its ones are contiguous. */
export function netmaskPrefix(text: string): number | null {
  const value = parseIpv4(text);
  if (value === null) return null;
  const inverted = ~value >>> 0;
  // A contiguous mask's complement is 2^k - 1: adding one leaves no bit in common.
  if ((inverted & (inverted + 1)) !== 0) return null;
  return 32 - Math.log2(inverted + 1);
}

/**
 * Returns the guest MAC as OctoLab's backend derives it: `AA:FC:00:` and the low 24 bits of the
 * first 8 hex digits of the lab id (upstream facts §2.4), upper case.
 */
export function guestMacFor(names: Pick<LabLinkNames, 'prefix'>): string {
  const low = Number.parseInt(names.prefix.slice(0, 8), 16) & 0xffffff;
  const hex = low.toString(16).toUpperCase().padStart(6, '0');
  return `AA:FC:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

/**
 * Returns the kernel argument that configures eth0 statically, in the backend's format
 * (` ip=<guest_ip>::<gateway>:<netmask>::eth0:none`, leading space included), with the netmask
 * netd returned (the backend hard-codes 255.255.0.0); null when a needed parameter is unknown.
 */
export function kernelIpArgument(guest: GuestNetwork): string | null {
  if (guest.guest_ip === null || guest.gateway === null || guest.netmask === null) return null;
  return ` ip=${guest.guest_ip}::${guest.gateway}:${guest.netmask}::eth0:none`;
}

/** True when the boot args already set `ip=` themselves (then the configured one stays). */
export function hasIpArgument(bootArgs: string): boolean {
  return /(?:^|\s)ip=/.test(bootArgs);
}
