import { preferredSlot, slotsTouched, type AddressPool } from './address-pool.ts';
import { NetdOpError } from './errors.ts';
import type { LinkState } from './links.ts';

/**
 * Which lab subnets are taken. The devices are the record (an address on a bridge survives a
 * daemon restart); the book only adds what a device listing cannot show yet: slots claimed by
 * allocs in flight, and slots settled after the listing started. Allocs of different labs run
 * concurrently, so without it two of them could read the same listing and pick the same slot.
 */

/** A slot held for one alloc: settle it once the address is on the bridge, drop it when the alloc failed. */
export interface SlotClaim {
  readonly slot: number;
  settle(): void;
  drop(): void;
}

/** The allocator over one pool. */
export interface AddressBook {
  readonly pool: AddressPool;
  /** Call right before listing the devices; pass the mark to claim() with that listing. */
  markListing(): number;
  /**
   * Claims the lab's preferred slot, or the next free one after it (wrapping), given the devices
   * a listing started at `mark` saw; throws NetdOpError POOL_EXHAUSTED when every slot is taken.
   */
  claim(labId: string, links: Iterable<LinkState>, mark: number): SlotClaim;
}

interface Held {
  labId: string;
  /** The clock when its address was known to be on the device; null while the alloc runs. */
  settledAt: number | null;
}

/** Returns an empty book for `pool`: everything it knows at start comes from the devices. */
export function createAddressBook(pool: AddressPool): AddressBook {
  const held = new Map<number, Held>();
  let clock = 0;

  return {
    pool,
    markListing: () => ++clock,
    claim(labId, links, mark) {
      const taken: [number, number][] = [];
      for (const link of links) {
        for (const iface of link.addresses) {
          const range = slotsTouched(pool, iface);
          if (range) taken.push(range);
        }
      }
      for (const [slot, entry] of held) {
        // Settled before the listing started: the listing shows it (or shows it released).
        if (entry.settledAt !== null && entry.settledAt < mark) held.delete(slot);
        else if (entry.labId !== labId) taken.push([slot, slot + 1]);
      }
      const slot = firstFree(pool.slots, preferredSlot(pool, labId), taken);
      if (slot === null) {
        throw new NetdOpError(
          'POOL_EXHAUSTED',
          `no free /${pool.labPrefixLen} subnet left in the address pool ${pool.cidr} (${pool.slots} subnets, all in use); ` +
            'release labs that are gone, or restart microvm-netd with a larger --pool (OCTOLAB_NETD_POOL) or a longer --prefix-len (OCTOLAB_NETD_PREFIX_LEN)',
        );
      }
      const entry: Held = { labId, settledAt: null };
      held.set(slot, entry);
      return {
        slot,
        settle: () => void (entry.settledAt = ++clock),
        drop: () => void (held.get(slot) === entry && held.delete(slot)),
      };
    },
  };
}

/** Returns the first slot at or after `start` (wrapping) outside every [from, to) range, or null when there is none. */
export function firstFree(slots: number, start: number, taken: readonly [number, number][]): number | null {
  const merged = mergeRanges(taken);
  const free = (from: number, to: number): number | null => {
    let candidate = from;
    for (const [a, b] of merged) {
      if (b <= candidate) continue;
      if (a > candidate) break;
      candidate = b;
    }
    return candidate < to ? candidate : null;
  };
  return free(start, slots) ?? free(0, start);
}

function mergeRanges(ranges: readonly [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = merged.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged;
}
