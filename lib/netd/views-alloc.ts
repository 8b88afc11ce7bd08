/**
 * alloc and release replies, for both designs. The TAP is always exactly the lab's otp<hex10>;
 * the bridge is the lab's own obr<hex10> (per-lab) or a shared bridge outside the obr/otp
 * families (shared-bridge, e.g. br-octonet). Any other device name is a protocol error: the
 * names reach `ip` and Firecracker, so they never come from the socket unchecked.
 */
import { designFromBridge } from './design.ts';
import { GUEST_FIELDS } from './guest-network.ts';
import type { LabLinkNames } from './names.ts';
import { checkReplyLabId, cleanText, has, own, readGuestNetwork, readSuffix, shapeError, optionalBoolean, type WireObject } from './reply-shapes.ts';
import type { AllocView, ReleaseView } from './views.ts';

function quoted(value: unknown): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(cleanText(typeof value === 'string' ? value : String(JSON.stringify(value)), 40));
}

/** alloc_vm_net / create. */
export function readAlloc(result: WireObject, names: LabLinkNames, op: string): AllocView {
  checkReplyLabId(result, names, op);
  const tap = own(result, 'tap');
  if (tap !== names.tap) throw shapeError(op, `expected tap ${names.tap}, got ${quoted(tap)}`);
  const bridge = own(result, 'bridge');
  const design = typeof bridge === 'string' ? designFromBridge(bridge, names) : null;
  if (design === null) {
    throw shapeError(op, `bridge ${quoted(bridge)} is neither the lab's own ${names.bridge} (per-lab design) nor a shared bridge outside the obr/otp names (shared-bridge design)`);
  }
  const guest = readGuestNetwork(result, op);
  return {
    lab_id: names.labId,
    lab_id_suffix: readSuffix(result, names, op),
    design,
    bridge: bridge as string,
    tap: names.tap,
    ...guest,
    created: optionalBoolean(result, 'created', op),
    // tap and bridge are required above: only guest parameters can be missing.
    missing: GUEST_FIELDS.filter((key) => guest[key] === null),
  };
}

/** A deleted-device field: the expected name, or null/false/absent for "not deleted". */
function deleted(result: WireObject, key: string, expected: string, op: string): string | null {
  const value = own(result, key);
  if (value === undefined || value === null || value === false) return null;
  if (value !== expected) throw shapeError(op, `${key} ${quoted(value)} is not the lab's ${expected}`);
  return expected;
}

/** release_vm_net / destroy: a reply with bridge_deleted is per-lab; without it, shared-bridge (the bridge is never the lab's). */
export function readRelease(result: WireObject, names: LabLinkNames, op: string): ReleaseView {
  checkReplyLabId(result, names, op);
  const perLab = has(result, 'bridge_deleted');
  return {
    lab_id: names.labId,
    lab_id_suffix: readSuffix(result, names, op),
    design: perLab ? 'per-lab' : 'shared-bridge',
    bridge_deleted: perLab ? deleted(result, 'bridge_deleted', names.bridge, op) : null,
    tap_deleted: deleted(result, 'tap_deleted', names.tap, op),
  };
}
