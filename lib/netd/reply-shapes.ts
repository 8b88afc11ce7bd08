/**
 * Reading a daemon's success reply into typed values. Every byte from the socket is hostile: only
 * the reply's own keys are read (never a name of Object.prototype), a field of the wrong type is a
 * protocol error naming it (never a crash or a silent default), free text is stripped of control
 * characters and clipped, and an absent field is null (unknown), never a guessed value.
 */
import { NetdError } from './errors.ts';
import { GUEST_FIELDS, netmaskPrefix, parseIpv4, type GuestNetwork } from './guest-network.ts';
import { designFromHello, NETD_DESIGNS } from './design.ts';
import type { LabLinkNames } from './names.ts';
import { NETD_API_VERSION } from './protocol.ts';
import type { HelloView, PingView } from './views.ts';

/** A JSON object from the wire. */
export type WireObject = Record<string, unknown>;

/** Builds the client's protocol error for a reply of the wrong shape. */
export function shapeError(op: string, what: string): NetdError {
  return new NetdError({
    code: 'NETD_PROTOCOL_ERROR',
    summary: `${op}: invalid response from netd: ${what}`,
    hint: 'Something other than microvm-netd may be answering on the socket; check what owns it.',
  });
}

/** True for a JSON object (not null, not an array). */
export function isObject(value: unknown): value is WireObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** True when the object itself carries `key` (a prototype's names do not count). */
export function has(object: WireObject, key: string): boolean {
  return Object.hasOwn(object, key);
}

/** The object's own value for `key`, or undefined. */
export function own(object: WireObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** Returns the reply's own `result` object, or the whole reply when there is none (upstream's hello form). */
export function resultOf(reply: WireObject, op: string): WireObject {
  const result = has(reply, 'result') ? reply.result : reply;
  if (!isObject(result)) throw shapeError(op, '"result" is not an object');
  return result;
}

// C0 and C1 controls and DEL: text from the socket must never drive a terminal.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Returns wire text safe to show: control characters removed, cut to `max` characters. */
export function cleanText(text: string, max: number): string {
  const flat = text.replace(CONTROL, '');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** A string field (cleaned), or null when absent or null; anything else is a protocol error. */
export function optionalText(object: WireObject, key: string, op: string, field = key, max = 200): string | null {
  const value = own(object, key);
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw shapeError(op, `${field} is not a string`);
  return cleanText(value, max);
}

/** A boolean field, or null when absent or null. */
export function optionalBoolean(object: WireObject, key: string, op: string, field = key): boolean | null {
  const value = own(object, key);
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw shapeError(op, `${field} is not a boolean`);
  return value;
}

/** A uid field (a non-negative safe integer), or null when absent or null. */
export function optionalUid(object: WireObject, key: string, op: string, field = key): number | null {
  const value = own(object, key);
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw shapeError(op, `${field} is neither a uid nor null`);
}

/** The lab_id_suffix field: null when absent; when sent, it must be the last 6 characters of the lab id. */
export function readSuffix(object: WireObject, names: LabLinkNames, op: string): string | null {
  const value = own(object, 'lab_id_suffix');
  if (value === undefined || value === null) return null;
  if (value !== names.labId.slice(-6)) throw shapeError(op, `lab_id_suffix ${JSON.stringify(cleanText(String(value), 20))} is not the end of lab ${names.labId}`);
  return value;
}

/** A `lab_id` in a lab op's reply, when sent, must be the lab asked about. */
export function checkReplyLabId(result: WireObject, names: LabLinkNames, op: string): void {
  const value = own(result, 'lab_id');
  if (value !== undefined && value !== names.labId) throw shapeError(op, `lab_id ${JSON.stringify(cleanText(String(value), 40))} is not the lab asked about (${names.labId})`);
}

/** The four guest parameters of `object`, each validated (IPv4 addresses, a contiguous netmask); absent ones are null. */
export function readGuestNetwork(object: WireObject, op: string, where = ''): GuestNetwork {
  const guest: GuestNetwork = { guest_ip: null, gateway: null, netmask: null, dns: null };
  for (const key of GUEST_FIELDS) {
    const value = own(object, key);
    if (value === undefined || value === null) continue;
    const valid = typeof value === 'string' && (key === 'netmask' ? netmaskPrefix(value) !== null : parseIpv4(value) !== null);
    if (!valid) throw shapeError(op, `${where}${key} ${JSON.stringify(cleanText(String(value), 40))} is not ${key === 'netmask' ? 'an IPv4 netmask' : 'an IPv4 address'}`);
    guest[key] = value as string;
  }
  return guest;
}

const MAX_OPS = 64;

/** hello: the handshake fields and the design they reveal; the raw api_version is for the caller to check. */
export function readHello(reply: WireObject): { view: HelloView; apiVersion: unknown } {
  const result = resultOf(reply, 'hello');
  const rawOps = own(result, 'supported_ops');
  const supported_ops = Array.isArray(rawOps)
    ? rawOps
        .filter((op): op is string => typeof op === 'string')
        .slice(0, MAX_OPS)
        .map((op) => cleanText(op, 64))
    : [];
  const rawDesign = own(result, 'design');
  if (rawDesign !== undefined && rawDesign !== null && !(NETD_DESIGNS as readonly unknown[]).includes(rawDesign)) {
    throw shapeError('hello', `design ${JSON.stringify(cleanText(String(rawDesign), 40))} is neither "per-lab" nor "shared-bridge"`);
  }
  const build_id = optionalText(result, 'build_id', 'hello', 'build_id', 80);
  const guess = designFromHello({ design: (rawDesign as string | undefined) ?? null, supported_ops, build_id });
  const view: HelloView = {
    name: optionalText(result, 'name', 'hello', 'name', 80),
    api_version: NETD_API_VERSION,
    supported_ops,
    build_id,
    design: guess.design,
    design_evidence: guess.evidence,
  };
  return { view, apiVersion: own(result, 'api_version') };
}

/** ping: status, version and ts where sent; `{"ok":true}` alone is accepted with `result` named missing. */
export function readPing(reply: WireObject): PingView {
  const result = own(reply, 'result');
  if (result === undefined) return { status: null, version: null, ts: null, missing: ['result'] };
  if (!isObject(result)) throw shapeError('ping', '"result" is not an object');
  const tsRaw = own(result, 'ts');
  if (tsRaw !== undefined && tsRaw !== null && !(typeof tsRaw === 'number' && Number.isFinite(tsRaw))) throw shapeError('ping', 'ts is not a number');
  const view: PingView = {
    status: optionalText(result, 'status', 'ping', 'status', 40),
    version: optionalText(result, 'version', 'ping', 'version', 40),
    ts: typeof tsRaw === 'number' ? tsRaw : null,
    missing: [],
  };
  for (const key of ['status', 'version', 'ts'] as const) if (view[key] === null) view.missing.push(`result.${key}`);
  return view;
}
