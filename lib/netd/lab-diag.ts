import { paramsOf, slotOfGateway, type AddressPool } from './address-pool.ts';
import { judgeOwnership } from './link-plan.ts';
import type { LinkState } from './links.ts';
import { parseOwnerAlias, type LabLinkNames } from './names.ts';
import type { DiagLink, PerLabDiagResult } from './protocol.ts';

/** Pure renderings of a lab's state from a device listing: its subnet and its diag reply. */

/** Returns the lab's slot: the lowest one whose gateway address its bridge carries, or null (none, or the bridge is not this lab's). */
export function labSlot(pool: AddressPool, names: LabLinkNames, bridge: LinkState | undefined): number | null {
  if (judgeOwnership(names, 'bridge', bridge).kind !== 'ours') return null;
  const slots = bridge!.addresses.map((iface) => slotOfGateway(pool, iface)).filter((slot): slot is number => slot !== null);
  return slots.length === 0 ? null : Math.min(...slots);
}

function diagLink(names: LabLinkNames, name: string, kind: 'bridge' | 'tap', link: LinkState | undefined): DiagLink {
  const ownership = judgeOwnership(names, kind, link);
  return {
    name,
    exists: link !== undefined,
    owner_lab_id: parseOwnerAlias(link?.alias),
    owned: ownership.kind === 'ours',
    kind: link?.kind ?? null,
    up: link?.up ?? false,
    state: link?.operState ?? null,
    master: link?.master ?? null,
  };
}

/**
 * Returns the state of both devices of a lab, its guest parameters, and whether together they are
 * usable: a TAP whose owner is not `tapOwner` (the daemon's --tap-owner) is not, since the VMM user
 * it serves cannot open it (alloc replaces such a TAP while no process holds it); nor is a lab
 * whose bridge carries no gateway address of the pool (alloc adds one).
 */
export function renderDiag(names: LabLinkNames, links: ReadonlyMap<string, LinkState>, tapOwner: number | null, pool: AddressPool): PerLabDiagResult {
  const bridgeLink = links.get(names.bridge);
  const bridge = diagLink(names, names.bridge, 'bridge', bridgeLink);
  const tapLink = links.get(names.tap);
  const ownerUid = tapLink?.owner ?? null;
  const ownerMatches = tapLink !== undefined && ownerUid === tapOwner;
  const tap = { ...diagLink(names, names.tap, 'tap', tapLink), owner_uid: ownerUid, owner_expected: tapOwner, owner_matches: ownerMatches };
  const slot = labSlot(pool, names, bridgeLink);
  const networkParams = slot === null ? null : paramsOf(pool, slot);
  const healthy = bridge.owned && tap.owned && bridge.up && tap.up && tap.master === names.bridge && ownerMatches && networkParams !== null;
  return { lab_id: names.labId, lab_id_suffix: names.suffix, bridge, tap, network_params: networkParams, healthy };
}
