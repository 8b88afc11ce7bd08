/**
 * diag replies of both designs, and the client's own checks of them. The per-lab reference daemon
 * reports kind, up, owner and master for both devices; upstream's shared-bridge daemon reports
 * only tap{name, exists, state, master} and bridge{name, exists}. A field not sent is null and
 * named in `unknown`: it is "unknown", never "down" or "not owned". The checks follow the design:
 * the TAP must be enslaved to the bridge the daemon named; ownership is checked only per-lab.
 */
import { designFromBridge, isInterfaceName } from './design.ts';
import type { LabLinkNames } from './names.ts';
import { checkReplyLabId, cleanText, has, isObject, optionalBoolean, optionalText, optionalUid, own, readGuestNetwork, readSuffix, shapeError, type WireObject } from './reply-shapes.ts';
import type { DiagCheck, DiagDevice, DiagTap, DiagView, GuestNetwork, NetdDesign } from './views.ts';

const DEVICE_FIELDS = ['exists', 'kind', 'up', 'state', 'master', 'owner_lab_id', 'owned'] as const;

function readDevice(value: unknown, op: string, field: string): DiagDevice {
  if (!isObject(value) || typeof own(value, 'name') !== 'string') throw shapeError(op, `${field} is not a device state (no name)`);
  const master = own(value, 'master');
  if (master !== undefined && master !== null && !(typeof master === 'string' && isInterfaceName(master))) throw shapeError(op, `${field}.master is not an interface name`);
  return {
    name: value.name as string,
    exists: optionalBoolean(value, 'exists', op, `${field}.exists`),
    kind: optionalText(value, 'kind', op, `${field}.kind`, 20),
    up: optionalBoolean(value, 'up', op, `${field}.up`),
    state: optionalText(value, 'state', op, `${field}.state`, 20),
    master: typeof master === 'string' ? master : null,
    owner_lab_id: optionalText(value, 'owner_lab_id', op, `${field}.owner_lab_id`, 40),
    owned: optionalBoolean(value, 'owned', op, `${field}.owned`),
    unknown: DEVICE_FIELDS.filter((key) => !has(value, key)),
  };
}

function readTap(value: unknown, op: string): DiagTap {
  const device = readDevice(value, op, 'tap');
  const raw = value as WireObject;
  const tap: DiagTap = { ...device, owner_uid: optionalUid(raw, 'owner_uid', op, 'tap.owner_uid') };
  if (!has(raw, 'owner_uid')) tap.unknown.push('owner_uid');
  // owner_expected/owner_matches come together or not at all (daemons that do not compare owners send neither).
  if (has(raw, 'owner_expected') || has(raw, 'owner_matches')) {
    if (typeof own(raw, 'owner_matches') !== 'boolean') throw shapeError(op, 'tap.owner_matches is not a boolean');
    tap.owner_expected = optionalUid(raw, 'owner_expected', op, 'tap.owner_expected');
    tap.owner_matches = raw.owner_matches as boolean;
  }
  return tap;
}

/** network_params: an object, null (the daemon says the lab has none), or not sent (undefined). */
function readNetworkParams(result: WireObject, op: string): GuestNetwork | null | undefined {
  if (!has(result, 'network_params')) return undefined;
  const value = result.network_params;
  if (value === null) return null;
  if (!isObject(value)) throw shapeError(op, 'network_params is not an object');
  return readGuestNetwork(value, op, 'network_params.');
}

/** One yes/no fact over the devices that exist: false if any says no, true if all say yes, else unknown. */
function factCheck(name: string, devices: DiagDevice[], fact: (d: DiagDevice) => boolean | null, yes: string, no: string, what: string): DiagCheck {
  const failing = devices.filter((d) => fact(d) === false).map((d) => d.name);
  if (failing.length > 0) return { name, ok: false, detail: `${failing.join(', ')} ${no}` };
  if (devices.every((d) => fact(d) === true)) return { name, ok: true, detail: `${devices.map((d) => d.name).join(', ')} ${yes}` };
  return { name, ok: null, detail: `the daemon does not report ${what}` };
}

/** The client's checks of one diag, by the design's rules. */
export function diagChecks(design: NetdDesign, bridge: DiagDevice, tap: DiagTap, params: GuestNetwork | null | undefined): DiagCheck[] {
  const exists = (device: DiagDevice, what: string): DiagCheck => ({
    name: `${what} exists`,
    ok: device.exists,
    detail: device.exists === null ? `the daemon does not say whether ${device.name} exists` : `${device.name} ${device.exists ? 'exists' : 'is absent'}`,
  });
  const checks = [exists(tap, 'tap'), exists(bridge, 'bridge')];
  let enslaved: DiagCheck;
  if (tap.exists === false) enslaved = { name: `tap enslaved to ${bridge.name}`, ok: false, detail: 'there is no TAP to enslave' };
  else if (tap.unknown.includes('master')) enslaved = { name: `tap enslaved to ${bridge.name}`, ok: null, detail: "the daemon does not report the TAP's master" };
  else enslaved = { name: `tap enslaved to ${bridge.name}`, ok: tap.master === bridge.name, detail: tap.master === null ? 'the TAP has no master' : `the TAP's master is ${tap.master}` };
  checks.push(enslaved);
  // Up and owned are facts of devices that exist: with none, there is nothing to check.
  const present = [bridge, tap].filter((d) => d.exists !== false);
  if (present.length > 0) checks.push(factCheck('devices up', present, (d) => d.up, 'up', 'down (administratively)', 'whether the devices are up'));
  if (design === 'per-lab' && present.length > 0) checks.push(factCheck('devices owned by this lab', present, (d) => d.owned, "carry this lab's owner record", 'not owned by this lab', 'owners'));
  if (tap.owner_matches !== undefined && tap.exists !== false) {
    checks.push({ name: "tap owner is the daemon's --tap-owner", ok: tap.owner_matches, detail: `owner uid ${tap.owner_uid ?? 'none'}, expected ${tap.owner_expected ?? 'none'}` });
  }
  checks.push({
    name: 'guest network parameters',
    ok: params === undefined ? null : params !== null,
    detail: params === undefined ? 'the daemon does not report them' : params === null ? 'the daemon says the lab has none' : 'reported',
  });
  return checks;
}

/** Combines the daemon's verdict with the client's checks: any failure is not-healthy; healthy needs the daemon's word or every check passing. */
export function diagVerdict(healthy: boolean | null, checks: readonly DiagCheck[]): DiagView['verdict'] {
  if (healthy === false || checks.some((c) => c.ok === false)) return 'not-healthy';
  if (healthy === true || checks.every((c) => c.ok === true)) return 'healthy';
  return 'unknown';
}

/** diag_vm_net. */
export function readDiag(result: WireObject, names: LabLinkNames, op: string): DiagView {
  checkReplyLabId(result, names, op);
  const bridge = readDevice(own(result, 'bridge'), op, 'bridge');
  const tap = readTap(own(result, 'tap'), op);
  if (tap.name !== names.tap) throw shapeError(op, `tap.name ${JSON.stringify(cleanText(tap.name, 40))} is not the lab's ${names.tap}`);
  const design = designFromBridge(bridge.name, names);
  if (design === null) throw shapeError(op, `bridge.name ${JSON.stringify(cleanText(bridge.name, 40))} is neither the lab's ${names.bridge} nor a shared bridge`);
  const params = readNetworkParams(result, op);
  const healthy = optionalBoolean(result, 'healthy', op);
  const checks = diagChecks(design, bridge, tap, params);
  return {
    lab_id: names.labId,
    lab_id_suffix: readSuffix(result, names, op),
    design,
    bridge,
    tap,
    network_params: params ?? null,
    healthy,
    checks,
    verdict: diagVerdict(healthy, checks),
  };
}
