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
  | { kind: 'collision'; link: LinkState; otherLabId: string }
  | { kind: 'foreign'; link: LinkState; why: string };

/** A refusal: the request must not touch anything. */
export interface PlanRefusal {
  action: 'refuse';
  code: 'LAB_COLLISION' | 'NAME_IN_USE';
  message: string;
}

/** Steps to apply, and the devices those steps create (the only ones a rollback may delete). */
export interface PlanSteps {
  action: 'apply';
  ops: LinkOp[];
  creates: string[];
}

/** Judges one device against the lab it would belong to and the kind it must have. */
export function judgeOwnership(names: LabLinkNames, expectedKind: 'bridge' | 'tap', link: LinkState | undefined): Ownership {
  if (!link) return { kind: 'absent' };
  const owner = parseOwnerAlias(link.alias);
  if (owner === null) {
    const why = link.alias ? `its alias ${JSON.stringify(link.alias.slice(0, 64))} is not an octolab owner record` : 'it has no octolab owner alias';
    return { kind: 'foreign', link, why };
  }
  if (owner !== names.labId) return { kind: 'collision', link, otherLabId: owner };
  if (link.kind !== expectedKind) return { kind: 'foreign', link, why: `it carries this lab's alias but is a ${link.kind}, not a ${expectedKind}` };
  return { kind: 'ours', link };
}

/** Returns the refusal for a device that is not ours, or null when it is ours or absent. */
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
  if (ownership.kind === 'foreign') {
    return {
      action: 'refuse',
      code: 'NAME_IN_USE',
      message: `${ownership.link.name} exists and is not this daemon's: ${ownership.why}; it is never adopted or deleted, remove or rename it by hand`,
    };
  }
  return null;
}

/** Indexes devices by name. */
export function byName(links: readonly LinkState[]): Map<string, LinkState> {
  return new Map(links.map((link) => [link.name, link]));
}

/** Plans alloc: create what is missing, repair what is ours but down or detached, refuse what is not ours. */
export function planAlloc(names: LabLinkNames, links: ReadonlyMap<string, LinkState>, tapOwner: number | null): PlanRefusal | PlanSteps {
  const bridge = judgeOwnership(names, 'bridge', links.get(names.bridge));
  const tap = judgeOwnership(names, 'tap', links.get(names.tap));
  const refusal = refusalFor(names, bridge) ?? refusalFor(names, tap);
  if (refusal) return refusal;
  const ops: LinkOp[] = [];
  const creates: string[] = [];
  if (bridge.kind === 'absent') {
    creates.push(names.bridge);
    ops.push({ op: 'add-bridge', name: names.bridge }, { op: 'set-alias', name: names.bridge, alias: names.alias }, { op: 'set-up', name: names.bridge });
  } else if (bridge.kind === 'ours' && !bridge.link.up) {
    ops.push({ op: 'set-up', name: names.bridge });
  }
  if (tap.kind === 'absent') {
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
  return { action: 'apply', ops, creates };
}

/** Plans release: delete the TAP, then the bridge, of those that exist; refuse if either is not ours. */
export function planRelease(names: LabLinkNames, links: ReadonlyMap<string, LinkState>): PlanRefusal | (PlanSteps & { deletes: { bridge: boolean; tap: boolean } }) {
  const bridge = judgeOwnership(names, 'bridge', links.get(names.bridge));
  const tap = judgeOwnership(names, 'tap', links.get(names.tap));
  const refusal = refusalFor(names, bridge) ?? refusalFor(names, tap);
  if (refusal) return refusal;
  const ops: LinkOp[] = [];
  if (tap.kind === 'ours') ops.push({ op: 'delete', name: names.tap });
  if (bridge.kind === 'ours') ops.push({ op: 'delete', name: names.bridge });
  return { action: 'apply', ops, creates: [], deletes: { bridge: bridge.kind === 'ours', tap: tap.kind === 'ours' } };
}

/** Plans the undo of a failed alloc: delete, TAP first, the devices whose creating step ran. */
export function planRollback(plan: PlanSteps, failedIndex: number): LinkOp[] {
  const created = new Set<string>();
  plan.ops.forEach((op, index) => {
    if (index < failedIndex && (op.op === 'add-bridge' || op.op === 'add-tap')) created.add(op.name);
  });
  return plan.creates
    .filter((name) => created.has(name))
    .reverse()
    .map((name) => ({ op: 'delete', name }));
}
