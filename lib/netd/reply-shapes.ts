import { NetdError } from './errors.ts';
import type { AllocResult, DiagLink, DiagResult, ListResult, ListedLab, ReleaseResult } from './protocol.ts';
import type { LabLinkNames } from './names.ts';

/**
 * Reads the `result` of a daemon's success reply into typed values. Every byte from the socket
 * is hostile: a field of the wrong type is a protocol error, never a crash or a silent default.
 */

/** Returns the reply's `result` object, or the whole reply when there is none (upstream's hello form). */
export function resultOf(reply: Record<string, unknown>, op: string): Record<string, unknown> {
  const result = Object.hasOwn(reply, 'result') ? reply.result : reply;
  if (!isObject(result)) throw shapeError(op, '"result" is not an object');
  return result;
}

/** Builds the client's protocol error for a reply of the wrong shape. */
export function shapeError(op: string, what: string): NetdError {
  return new NetdError({
    code: 'NETD_PROTOCOL_ERROR',
    summary: `${op}: invalid response from netd: ${what}`,
    hint: 'Something other than this microvm-netd may be answering on the socket; check what owns it.',
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function nameOrNull(value: unknown, op: string, field: string): string | null {
  if (value === undefined || value === null || value === false) return null;
  if (typeof value === 'string') return value;
  throw shapeError(op, `${field} is neither a device name nor null`);
}

function uidOrNull(value: unknown, op: string, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw shapeError(op, `${field} is neither a uid nor null`);
}

/** alloc: the daemon must name exactly the devices derived from the lab id. */
export function readAllocResult(result: Record<string, unknown>, names: LabLinkNames, op: string): AllocResult {
  if (result.bridge !== names.bridge || result.tap !== names.tap) {
    throw shapeError(op, `expected bridge ${names.bridge} and tap ${names.tap}, got ${JSON.stringify(result.bridge)?.slice(0, 40)} and ${JSON.stringify(result.tap)?.slice(0, 40)}`);
  }
  return { lab_id: names.labId, bridge: names.bridge, tap: names.tap, created: result.created === true };
}

/** release: each field names the deleted device, or is null when it was already gone. */
export function readReleaseResult(result: Record<string, unknown>, names: LabLinkNames, op: string): ReleaseResult {
  const bridge = nameOrNull(result.bridge_deleted, op, 'bridge_deleted');
  const tap = nameOrNull(result.tap_deleted, op, 'tap_deleted');
  if ((bridge !== null && bridge !== names.bridge) || (tap !== null && tap !== names.tap)) throw shapeError(op, 'deleted devices are not the lab\'s');
  return { lab_id: names.labId, bridge_deleted: bridge, tap_deleted: tap };
}

function readDiagLink(value: unknown, op: string, field: string): DiagLink {
  if (!isObject(value) || typeof value.name !== 'string' || typeof value.exists !== 'boolean') throw shapeError(op, `${field} is not a device state`);
  return {
    name: value.name,
    exists: value.exists,
    owner_lab_id: nameOrNull(value.owner_lab_id, op, `${field}.owner_lab_id`),
    owned: value.owned === true,
    kind: nameOrNull(value.kind, op, `${field}.kind`),
    up: value.up === true,
    state: nameOrNull(value.state, op, `${field}.state`),
    master: nameOrNull(value.master, op, `${field}.master`),
  };
}

/** diag: both device states and the verdict. */
export function readDiagResult(result: Record<string, unknown>, names: LabLinkNames, op: string): DiagResult {
  const bridge = readDiagLink(result.bridge, op, 'bridge');
  const tap = readDiagLink(result.tap, op, 'tap');
  const raw = isObject(result.tap) ? result.tap : {};
  const ownerUid = uidOrNull(raw.owner_uid, op, 'tap.owner_uid');
  if (typeof result.healthy !== 'boolean') throw shapeError(op, 'healthy is not a boolean');
  // owner_expected/owner_matches come together or not at all (daemons that predate them send neither).
  let owner: { owner_expected?: number | null; owner_matches?: boolean } = {};
  if (raw.owner_expected !== undefined || raw.owner_matches !== undefined) {
    if (typeof raw.owner_matches !== 'boolean') throw shapeError(op, 'tap.owner_matches is not a boolean');
    owner = { owner_expected: uidOrNull(raw.owner_expected, op, 'tap.owner_expected'), owner_matches: raw.owner_matches };
  }
  return { lab_id: names.labId, bridge, tap: { ...tap, owner_uid: ownerUid, ...owner }, healthy: result.healthy };
}

/** list: the labs and their devices. */
export function readListResult(result: Record<string, unknown>, op: string): ListResult {
  if (!Array.isArray(result.labs)) throw shapeError(op, 'labs is not an array');
  const labs: ListedLab[] = result.labs.map((lab, index) => {
    if (!isObject(lab) || typeof lab.lab_id !== 'string') throw shapeError(op, `labs[${index}] has no lab_id`);
    return { lab_id: lab.lab_id, bridge: nameOrNull(lab.bridge, op, `labs[${index}].bridge`), tap: nameOrNull(lab.tap, op, `labs[${index}].tap`) };
  });
  const interfaces = Array.isArray(result.interfaces) ? (result.interfaces.filter(isObject) as unknown as ListResult['interfaces']) : [];
  const unowned = Array.isArray(result.unowned) ? result.unowned.filter((name): name is string => typeof name === 'string') : [];
  return { labs, interfaces, count: typeof result.count === 'number' ? result.count : interfaces.length, unowned };
}
