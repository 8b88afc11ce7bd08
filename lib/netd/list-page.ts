import { slotOfGateway, type AddressPool } from './address-pool.ts';
import type { LinkState } from './links.ts';
import { labLinkNames, parseOwnerAlias } from './names.ts';
import { MAX_RESPONSE_BYTES, type ListEntry, type PerLabListResult } from './protocol.ts';

/**
 * `list` in upstream's entry format, paged so that every reply, envelope included, fits in the
 * 16,384 bytes upstream's client reads: a long list is one valid document that says it is
 * truncated, gives the full count and where the next page starts — never a document cut short.
 */

/** True when the device's alias names a lab whose derived name is exactly this device. */
function isOwned(link: LinkState, type: 'bridge' | 'tap'): boolean {
  const owner = parseOwnerAlias(link.alias);
  return owner !== null && labLinkNames(owner)[type] === link.name;
}

/** Returns every obr/otp device as a list entry, ordered by the 10-digit prefix, a lab's bridge before its TAP. */
export function listEntries(links: ReadonlyMap<string, LinkState>): ListEntry[] {
  const entries = [...links.values()].map((link) => {
    const type = link.name.startsWith('obr') ? ('bridge' as const) : ('tap' as const);
    const entry: ListEntry = isOwned(link, type) ? { name: link.name, type } : { name: link.name, type, owned: false };
    return { key: `${link.name.slice(3)}${type === 'bridge' ? 0 : 1}`, entry };
  });
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return entries.map(({ entry }) => entry);
}

/** Returns the page of `list` starting at `offset`, as many entries as fit in `limit` bytes of reply (`{"ok":true,"result":…}`). */
export function renderListPage(links: ReadonlyMap<string, LinkState>, offset = 0, limit = MAX_RESPONSE_BYTES): PerLabListResult {
  const entries = listEntries(links);
  const count = entries.length;
  const from = Math.min(offset, count);
  // The envelope at its largest: truncated, with a next_offset as long as the count. All ASCII: characters are bytes.
  let size = JSON.stringify({ ok: true, result: { interfaces: [], count, truncated: true, next_offset: count } }).length;
  const page: ListEntry[] = [];
  for (let i = from; i < count; i++) {
    const add = JSON.stringify(entries[i]).length + (page.length > 0 ? 1 : 0);
    if (size + add > limit) break;
    size += add;
    page.push(entries[i]!);
  }
  const next = from + page.length;
  return next < count ? { interfaces: page, count, truncated: true, next_offset: next } : { interfaces: page, count, truncated: false };
}

/** What a starting daemon logs: the labs owning devices, how many carry a subnet of the pool, and the unowned devices. */
export function summariseDevices(links: ReadonlyMap<string, LinkState>, pool: AddressPool): { labs: number; withSubnet: number; unowned: string[] } {
  const labs = new Set<string>();
  let withSubnet = 0;
  const unowned: string[] = [];
  for (const entry of listEntries(links)) {
    const link = links.get(entry.name)!;
    if (entry.owned === false) {
      unowned.push(entry.name);
      continue;
    }
    labs.add(link.alias!);
    if (entry.type === 'bridge' && link.addresses.some((iface) => slotOfGateway(pool, iface) !== null)) withSubnet++;
  }
  return { labs: labs.size, withSubnet, unowned };
}
