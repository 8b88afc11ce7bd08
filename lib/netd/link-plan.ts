import type { LinkOp, LinkState } from './links.ts';
import { parseOwnerAlias, type LabLinkNames } from './names.ts';

/**
 * Pure planning: from the devices that exist, decide what one request must do. Ownership is read
 * from the alias on each device, so a restarted daemon decides exactly as the one that created them.
 */

/** Whose a device with a lab's derived name is. */
export type Ownership =
  | { kind: 'absent' }
  | { kind: 'ours'; link: LinkState }
  /** No alias at all: what a daemon that died between creating a device and recording its owner leaves. */
  | { kind: 'unrecorded'; link: LinkState }
  | { kind: 'collision'; link: LinkState; otherLabId: string }
  | { kind: 'foreign'; link: LinkState; why: string };

/** A refusal: the request must not touch anything. */
export interface PlanRefusal {
  action: 'refuse';
  code: 'LAB_COLLISION' | 'NAME_IN_USE' | 'TAP_OWNER_MISMATCH';
  message: string;
}

/** Steps to apply, and the devices those steps create (the only ones a rollback may delete). */
export interface PlanSteps {
  action: 'apply';
  ops: LinkOp[];
  creates: string[];
  /** What the steps do beyond creating and repairing (adopting, replacing a TAP), for the log. */
  notes: string[];
  /** The refusal to answer when the kernel finds a TAP to be replaced held open (its delete-tap fails with EBUSY). */
  busy?: PlanRefusal;
}

/** Judges one device against the lab it would belong to and the kind it must have. */
export function judgeOwnership(names: LabLinkNames, expectedKind: 'bridge' | 'tap', link: LinkState | undefined): Ownership {
  if (!link) return { kind: 'absent' };
  const owner = parseOwnerAlias(link.alias);
  if (owner === null) {
    if (!link.alias) return { kind: 'unrecorded', link };
    return { kind: 'foreign', link, why: `its alias ${JSON.stringify(link.alias.slice(0, 64))} is not an octolab owner record` };
  }
  if (owner !== names.labId) return { kind: 'collision', link, otherLabId: owner };
  if (link.kind !== expectedKind) return { kind: 'foreign', link, why: `it carries this lab's alias but is a ${link.kind}, not a ${expectedKind}` };
  return { kind: 'ours', link };
}

function nameInUse(name: string, why: string, next = 'it is never adopted or deleted, remove or rename it by hand'): PlanRefusal {
  return { action: 'refuse', code: 'NAME_IN_USE', message: `${name} exists and is not this daemon's: ${why}; ${next}` };
}

/** Returns the refusal for a device another lab or nobody owns, or null when it is ours, absent or unrecorded. */
function refusalFor(names: LabLinkNames, ownership: Ownership): PlanRefusal | null {
  if (ownership.kind === 'collision') {
    return {
      action: 'refuse',
      code: 'LAB_COLLISION',
      message:
        `${ownership.link.name} belongs to lab ${ownership.otherLabId}: lab ids ${names.labId} and ${ownership.otherLabId} ` +
        `share the first 10 hex digits (${names.prefix}), so they would share devices; release the other lab first or use another lab id`,
    };
  }
  if (ownership.kind === 'foreign') return nameInUse(ownership.link.name, ownership.why);
  return null;
}

/**
 * The adoption policy for a device with this lab's exact name and no alias at all. An alloc's
 * batch is not atomic and the kernel ignores an alias given to `ip link add` (measured on
 * iproute2 6.1 / Linux 6.18), so a daemon that dies between the two steps leaves such a device,
 * always down (set-up comes after set-alias) and never enslaved (set-master too). Adopted: a
 * bridge in exactly that state (its alias is recorded, then it is set up), and a TAP that is
 * not enslaved to another bridge and not held open (it is replaced: `ip tuntap del`, which the
 * kernel refuses with EBUSY while a process holds it, then created afresh with the configured
 * owner). Anything else with no alias is refused with NAME_IN_USE and never touched.
 */
function adoptionRefusal(names: LabLinkNames, bridge: Ownership, tap: Ownership): PlanRefusal | null {
  const noAlias = 'it has no octolab owner alias';
  if (bridge.kind === 'unrecorded') {
    const { link } = bridge;
    if (link.kind !== 'bridge') return nameInUse(link.name, `${noAlias} and is a ${link.kind}, not a bridge`);
    if (link.master !== null) return nameInUse(link.name, `${noAlias} and is enslaved to ${link.master}`);
    if (link.up) return nameInUse(link.name, `${noAlias} and is up (an interrupted alloc leaves its bridge down): someone else uses it`);
    // The alias is recorded before the address is added, so an interrupted alloc leaves none.
    if (link.addresses.length > 0) return nameInUse(link.name, `${noAlias} and carries an address (${link.addresses[0]!.address}/${link.addresses[0]!.prefixLen}): someone else uses it`);
  }
  if (tap.kind === 'unrecorded') {
    const { link } = tap;
    if (link.kind !== 'tap') return nameInUse(link.name, `${noAlias} and is a ${link.kind}, not a tap`);
    if (link.master !== null && link.master !== names.bridge) return nameInUse(link.name, `${noAlias} and is enslaved to another bridge (${link.master})`);
    if (link.carrier === true) return nameInUse(link.name, `${noAlias} and a process has it open (carrier up)`);
  }
  return null;
}

/** Describes a TAP owner: a uid, or none (then any user who can open /dev/net/tun may attach). */
export function describeTapOwner(uid: number | null): string {
  return uid === null ? 'no owner' : `uid ${uid}`;
}

/** The refusal for a TAP of this lab whose owner is not the configured one while a process holds it. */
function ownerMismatch(names: LabLinkNames, found: number | null, wanted: number | null, how: string): PlanRefusal {
  const keep = found === null ? 'without --tap-owner' : `with --tap-owner ${found}`;
  return {
    action: 'refuse',
    code: 'TAP_OWNER_MISMATCH',
    message:
      `${names.tap} is owned by ${describeTapOwner(found)}, but this daemon ${wanted === null ? 'creates TAPs without owner (no --tap-owner)' : `gives TAPs to uid ${wanted} (--tap-owner ${wanted})`}, ` +
      `and ${how}, so it was not recreated; stop the VM that uses it and alloc again, or run microvm-netd ${keep}`,
  };
}

/** Indexes devices by name. */
export function byName(links: readonly LinkState[]): Map<string, LinkState> {
  return new Map(links.map((link) => [link.name, link]));
}

/**
 * Plans alloc: create what is missing, repair what is ours but down or detached, adopt what an
 * interrupted alloc left (see adoptionRefusal), replace our TAP when its owner is not the
 * configured one and nothing holds it, refuse everything else. `gateway` (`a.b.c.d/len`) is
 * added to the bridge right after its alias, unless null (the bridge already carries the lab's).
 */
export function planAlloc(names: LabLinkNames, links: ReadonlyMap<string, LinkState>, tapOwner: number | null, gateway: string | null = null): PlanRefusal | PlanSteps {
  const bridge = judgeOwnership(names, 'bridge', links.get(names.bridge));
  const tap = judgeOwnership(names, 'tap', links.get(names.tap));
  const refusal = refusalFor(names, bridge) ?? refusalFor(names, tap) ?? adoptionRefusal(names, bridge, tap);
  if (refusal) return refusal;
  const wrongOwner = tap.kind === 'ours' && tap.link.owner !== tapOwner;
  if (wrongOwner && tap.link.carrier === true) return ownerMismatch(names, tap.link.owner, tapOwner, 'a process has it open (carrier up)');

  const replaceTap: LinkOp[] = [];
  const ops: LinkOp[] = [];
  const creates: string[] = [];
  const notes: string[] = [];
  let busy: PlanRefusal | undefined;
  const addGateway: LinkOp[] = gateway === null ? [] : [{ op: 'add-address', name: names.bridge, address: gateway }];
  if (bridge.kind === 'absent') {
    creates.push(names.bridge);
    ops.push({ op: 'add-bridge', name: names.bridge }, { op: 'set-alias', name: names.bridge, alias: names.alias }, ...addGateway, { op: 'set-up', name: names.bridge });
  } else if (bridge.kind === 'unrecorded') {
    notes.push(`adopting ${names.bridge}: a bridge without owner alias, down and not enslaved (left by an interrupted alloc)`);
    ops.push({ op: 'set-alias', name: names.bridge, alias: names.alias }, ...addGateway, { op: 'set-up', name: names.bridge });
  } else if (bridge.kind === 'ours') {
    if (gateway !== null) notes.push(`adding ${gateway} to ${names.bridge} (the bridge carried no address of the pool)`);
    ops.push(...addGateway);
    if (!bridge.link.up) ops.push({ op: 'set-up', name: names.bridge });
  }
  if (tap.kind === 'unrecorded' || wrongOwner) {
    // First in the batch: when the kernel finds the TAP held open, nothing else has changed yet.
    replaceTap.push({ op: 'delete-tap', name: names.tap });
    if (wrongOwner) {
      notes.push(`replacing ${names.tap}: owned by ${describeTapOwner(tap.link.owner)}, configured ${describeTapOwner(tapOwner)}`);
      busy = ownerMismatch(names, tap.link.owner, tapOwner, 'a process holds it open (the kernel refused to delete it: EBUSY)');
    } else {
      notes.push(`adopting ${names.tap}: a TAP without owner alias, not enslaved elsewhere, replaced with owner ${describeTapOwner(tapOwner)} (left by an interrupted alloc)`);
      busy = nameInUse(names.tap, 'it has no octolab owner alias and a process holds it open (the kernel refused to delete it: EBUSY)');
    }
  }
  if (tap.kind === 'absent' || replaceTap.length > 0) {
    creates.push(names.tap);
    ops.push(
      { op: 'add-tap', name: names.tap, owner: tapOwner },
      { op: 'set-alias', name: names.tap, alias: names.alias },
      { op: 'set-master', name: names.tap, master: names.bridge },
      { op: 'set-up', name: names.tap },
    );
  } else if (tap.kind === 'ours') {
    if (tap.link.master !== names.bridge) ops.push({ op: 'set-master', name: names.tap, master: names.bridge });
    if (!tap.link.up) ops.push({ op: 'set-up', name: names.tap });
  }
  return { action: 'apply', ops: [...replaceTap, ...ops], creates, notes, ...(busy ? { busy } : {}) };
}

/**
 * Plans release: delete the TAP, then the bridge, of those that exist; refuse if either is not
 * ours. Release never adopts: a device without alias blocks it until an alloc adopts that device
 * (or someone removes it by hand), so release deletes only what carries this lab's record.
 */
export function planRelease(names: LabLinkNames, links: ReadonlyMap<string, LinkState>): PlanRefusal | (PlanSteps & { deletes: { bridge: boolean; tap: boolean } }) {
  const bridge = judgeOwnership(names, 'bridge', links.get(names.bridge));
  const tap = judgeOwnership(names, 'tap', links.get(names.tap));
  const unrecorded = [bridge, tap].find((o) => o.kind === 'unrecorded');
  const refusal =
    refusalFor(names, bridge) ??
    refusalFor(names, tap) ??
    (unrecorded?.kind === 'unrecorded'
      ? nameInUse(unrecorded.link.name, 'it has no octolab owner alias', 'release never deletes such a device: alloc this lab again to adopt it (if an interrupted alloc left it), or remove it by hand')
      : null);
  if (refusal) return refusal;
  const ops: LinkOp[] = [];
  if (tap.kind === 'ours') ops.push({ op: 'delete', name: names.tap });
  if (bridge.kind === 'ours') ops.push({ op: 'delete', name: names.bridge });
  return { action: 'apply', ops, creates: [], notes: [], deletes: { bridge: bridge.kind === 'ours', tap: tap.kind === 'ours' } };
}

/**
 * Plans the undo of a failed alloc: delete, TAP first, the devices whose creating step ran; then
 * remove an address the plan added to a device it did not create (a repaired bridge).
 */
export function planRollback(plan: PlanSteps, failedIndex: number): LinkOp[] {
  const created = new Set<string>();
  const addressed: LinkOp[] = [];
  plan.ops.forEach((op, index) => {
    if (index >= failedIndex) return;
    if (op.op === 'add-bridge' || op.op === 'add-tap') created.add(op.name);
    if (op.op === 'add-address') addressed.push({ op: 'del-address', name: op.name, address: op.address });
  });
  const deletes: LinkOp[] = plan.creates
    .filter((name) => created.has(name))
    .reverse()
    .map((name) => ({ op: 'delete', name }));
  return [...deletes, ...addressed.filter((op) => !created.has(op.name))];
}
