/**
 * list replies of every shape in the field, read into one ListView: upstream's `interfaces` of
 * {name, type} with `count` (legacy obr bridges flagged `legacy`), the reference daemon's pages of
 * the same with `truncated`/`next_offset` and `owned:false` for devices without an owner record,
 * and the old per-lab `labs` of {lab_id, bridge, tap} with `unowned`.
 */
import { isInterfaceName } from './design.ts';
import { checkLabId, isLabLinkName, labLinkNames } from './names.ts';
import { isObject, optionalBoolean, own, shapeError, type WireObject } from './reply-shapes.ts';
import type { ListedInterface, ListedLab, ListView } from './views.ts';

/** One page of a list reply. */
export interface ListPage {
  shape: 'interfaces' | 'labs';
  /** From `interfaces`, or derived from `labs` and `unowned`. */
  entries: ListedInterface[];
  /** How many entries the page's own `interfaces` (or `labs` devices) held: what `count` counts. */
  counted: number;
  count: number | null;
  truncated: boolean;
  next_offset: number | null;
}

const TYPE = /^[a-z_-]{1,16}$/;

function optionalCount(result: WireObject, key: string, op: string): number | null {
  const value = own(result, key);
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw shapeError(op, `${key} is not a non-negative integer`);
}

function prefixOf(name: string): string | null {
  return isLabLinkName(name) ? name.slice(3) : null;
}

function entry(name: string, type: string, extra: Partial<ListedInterface> = {}): ListedInterface {
  return { name, type, lab_prefix: prefixOf(name), lab_id: null, owned: null, legacy: false, ...extra };
}

function readInterface(value: unknown, index: number, op: string): ListedInterface {
  const where = `interfaces[${index}]`;
  if (!isObject(value)) throw shapeError(op, `${where} is not an object`);
  const name = own(value, 'name');
  const type = own(value, 'type');
  if (typeof name !== 'string' || !isInterfaceName(name)) throw shapeError(op, `${where}.name is not an interface name`);
  if (typeof type !== 'string' || !TYPE.test(type)) throw shapeError(op, `${where}.type is not a device type`);
  const labId = own(value, 'lab_id');
  const checked = labId === undefined || labId === null ? null : checkLabId(labId);
  if (checked && !checked.ok) throw shapeError(op, `${where}.lab_id is not a lab id`);
  return entry(name, type, {
    lab_id: checked?.ok ? checked.labId : null,
    owned: optionalBoolean(value, 'owned', op, `${where}.owned`),
    legacy: optionalBoolean(value, 'legacy', op, `${where}.legacy`) === true,
  });
}

/** Reads the old per-lab `labs` shape: each lab's devices, named from its own id. */
function readLabs(labs: unknown[], op: string): ListedInterface[] {
  const entries: ListedInterface[] = [];
  labs.forEach((lab, index) => {
    const checked = isObject(lab) ? checkLabId(own(lab, 'lab_id')) : null;
    if (!checked?.ok) throw shapeError(op, `labs[${index}] has no valid lab_id`);
    const names = labLinkNames(checked.labId);
    for (const [key, type, expected] of [['bridge', 'bridge', names.bridge], ['tap', 'tap', names.tap]] as const) {
      const value = own(lab as WireObject, key);
      if (value === undefined || value === null || value === false) continue;
      if (value !== expected) throw shapeError(op, `labs[${index}].${key} is not lab ${checked.labId}'s ${expected}`);
      entries.push(entry(expected, type, { lab_id: checked.labId, owned: true }));
    }
  });
  return entries;
}

/** Reads one page of a list reply (either shape). */
export function readListPage(result: WireObject, op: string): ListPage {
  const interfaces = own(result, 'interfaces');
  const labs = own(result, 'labs');
  if (interfaces !== undefined && !Array.isArray(interfaces)) throw shapeError(op, 'interfaces is not an array');
  if (labs !== undefined && !Array.isArray(labs)) throw shapeError(op, 'labs is not an array');
  if (interfaces === undefined && labs === undefined) throw shapeError(op, 'the reply has neither interfaces nor labs');
  const entries = Array.isArray(interfaces) ? interfaces.map((value, index) => readInterface(value, index, op)) : readLabs(labs as unknown[], op);
  const counted = entries.length;
  const unowned = own(result, 'unowned');
  if (Array.isArray(unowned)) {
    for (const name of unowned) {
      if (typeof name === 'string' && isLabLinkName(name) && !entries.some((e) => e.name === name)) entries.push(entry(name, name.startsWith('obr') ? 'bridge' : 'tap', { owned: false }));
    }
  }
  const truncated = optionalBoolean(result, 'truncated', op) === true;
  return { shape: labs !== undefined ? 'labs' : 'interfaces', entries, counted, count: optionalCount(result, 'count', op), truncated, next_offset: optionalCount(result, 'next_offset', op) };
}

/** Groups obr/otp devices by their 10 hex digits (legacy bridges and devices nobody owns are not labs). */
function groupLabs(entries: readonly ListedInterface[]): ListedLab[] {
  const labs = new Map<string, ListedLab>();
  for (const e of entries) {
    if (e.lab_prefix === null || e.legacy || e.owned === false) continue;
    const lab = labs.get(e.lab_prefix) ?? { lab_prefix: e.lab_prefix, lab_id: null, bridge: null, tap: null };
    if (e.name.startsWith('obr')) lab.bridge = e.name;
    else lab.tap = e.name;
    lab.lab_id ??= e.lab_id;
    labs.set(e.lab_prefix, lab);
  }
  return [...labs.values()];
}

/** Merges the pages of one list into the client's view. */
export function mergeListPages(pages: readonly ListPage[]): ListView {
  const last = pages.at(-1)!;
  const seen = new Set<string>();
  const interfaces: ListedInterface[] = [];
  for (const page of pages) {
    for (const e of page.entries) {
      if (seen.has(e.name)) continue;
      seen.add(e.name);
      interfaces.push(e);
    }
  }
  const counted = pages.reduce((sum, page) => sum + page.counted, 0);
  const shared_bridges = interfaces.filter((e) => e.type === 'bridge' && e.lab_prefix === null).map((e) => e.name);
  const legacy = interfaces.some((e) => e.legacy);
  const ownedObr = interfaces.some((e) => e.name.startsWith('obr') && !e.legacy && e.owned !== false);
  const shape = pages.some((page) => page.shape === 'labs') ? 'labs' : 'interfaces';
  return {
    design: shared_bridges.length > 0 || legacy ? 'shared-bridge' : shape === 'labs' || ownedObr ? 'per-lab' : null,
    shape,
    interfaces,
    labs: groupLabs(interfaces),
    shared_bridges,
    unowned: interfaces.filter((e) => e.owned === false).map((e) => e.name),
    count: last.count,
    pages: pages.length,
    complete: !last.truncated && (last.count === null || counted === last.count),
  };
}

/** True when the reply asks for another page (and says where it starts). */
export function hasNextPage(page: ListPage): page is ListPage & { next_offset: number } {
  return page.truncated && page.next_offset !== null;
}
