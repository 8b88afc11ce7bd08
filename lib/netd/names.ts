/**
 * Lab ids and the link names derived from them. Names are never taken from a client: the daemon
 * derives both from a validated lab id, so a request cannot name an arbitrary device.
 */

/** A lab id after validation: trimmed, lower-cased, in canonical UUID form. */
export type LabId = string & { readonly __labId: true };

/** The two per-lab devices and the alias that records their owner on the devices themselves. */
export interface LabLinkNames {
  labId: LabId;
  /** The first 10 hex digits of the id without dashes; two labs sharing it collide. */
  prefix: string;
  /** `obr<prefix>`: the lab's bridge, 13 characters. */
  bridge: string;
  /** `otp<prefix>`: the lab's TAP, 13 characters. */
  tap: string;
  /** `octolab:lab=<lab id>`: set as the link alias of both devices (a contract with cleanup). */
  alias: string;
  /** The last 6 characters of the id: upstream's `lab_id_suffix`, sent with every lab reply. */
  suffix: string;
}

/** Linux IFNAMSIZ is 16 including the terminating NUL, so a name has at most 15 characters. */
export const IFNAME_MAX_LEN = 15;
/** Name families of the per-lab devices (the seed's per-lab design). */
export const BRIDGE_PREFIX = 'obr';
export const TAP_PREFIX = 'otp';
/** The owner record's prefix; cleanup finds lab-owned links by it. */
export const OWNER_ALIAS_PREFIX = 'octolab:lab=';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LAB_LINK_PATTERN = /^o(?:br|tp)[0-9a-f]{10}$/;

/** Why a lab id was refused: absent (MISSING_LAB_ID) or present but not a UUID (INVALID_LAB_ID). */
export type LabIdProblem = { code: 'MISSING_LAB_ID'; message: string } | { code: 'INVALID_LAB_ID'; message: string };

/** Returns the normalised lab id, or the problem with it; never throws, whatever `raw` is. */
export function checkLabId(raw: unknown): { ok: true; labId: LabId } | ({ ok: false } & LabIdProblem) {
  if (raw === undefined || raw === null || raw === '') {
    return { ok: false, code: 'MISSING_LAB_ID', message: 'lab_id required' };
  }
  if (typeof raw !== 'string') {
    return { ok: false, code: 'INVALID_LAB_ID', message: `lab_id must be a string UUID, got ${typeof raw}` };
  }
  const normalised = raw.trim().toLowerCase();
  if (!UUID_PATTERN.test(normalised)) {
    return { ok: false, code: 'INVALID_LAB_ID', message: 'lab_id must be a valid UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)' };
  }
  return { ok: true, labId: normalised as LabId };
}

/** Returns the normalised lab id; throws a RangeError naming the problem (for callers with trusted input). */
export function normaliseLabId(raw: unknown): LabId {
  const checked = checkLabId(raw);
  if (!checked.ok) throw new RangeError(`${checked.code}: ${checked.message}`);
  return checked.labId;
}

/** Returns the bridge, TAP and owner alias of a lab; the names come only from the validated id. */
export function labLinkNames(raw: unknown): LabLinkNames {
  const labId = normaliseLabId(raw);
  const prefix = labId.replaceAll('-', '').slice(0, 10);
  const names = { labId, prefix, bridge: BRIDGE_PREFIX + prefix, tap: TAP_PREFIX + prefix, alias: ownerAlias(labId), suffix: labId.slice(-6) };
  // Defence in depth: the derivation above cannot exceed IFNAMSIZ, and this keeps it that way.
  if (names.bridge.length > IFNAME_MAX_LEN || names.tap.length > IFNAME_MAX_LEN) {
    throw new RangeError(`Interface name too long: ${names.bridge}`);
  }
  return names;
}

/** Returns the alias that marks a link as owned by `labId`. */
export function ownerAlias(labId: LabId): string {
  return OWNER_ALIAS_PREFIX + labId;
}

/** Returns the lab id recorded in a link alias, or null when the alias is not an octolab owner record. */
export function parseOwnerAlias(alias: string | null | undefined): LabId | null {
  if (!alias || !alias.startsWith(OWNER_ALIAS_PREFIX)) return null;
  const id = alias.slice(OWNER_ALIAS_PREFIX.length);
  // Exactly the canonical form: an alias with upper case or spaces was not written by this daemon.
  return UUID_PATTERN.test(id) ? (id as LabId) : null;
}

/** True for names of the per-lab families (obr/otp + 10 lower-case hex digits). */
export function isLabLinkName(name: string): boolean {
  return LAB_LINK_PATTERN.test(name);
}
