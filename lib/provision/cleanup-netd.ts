/**
 * Cleanup's route for lab links: through microvm-netd when it answers, so that its per-lab
 * serialisation holds (an alloc racing a cleanup waits for the release, or the other way round),
 * and directly with ip only when it does not and the link carries netd's owner record. The daemon
 * is taken to serve the namespace cleanup runs in; a lab is released through it only when its
 * `list` shows exactly the devices cleanup found there (else it likely serves another namespace).
 * Links in other namespaces (--netns) are always deleted directly.
 *
 * Both designs: a shared-bridge daemon (upstream's) records no owner on its TAPs, so an otp
 * device without an alias is released through the daemon only when it is named for a lab whose
 * lab directory cleanup removes and the daemon lists it; it is never deleted directly (nothing
 * proves it is that lab's). The shared bridge (br-octonet) is never touched: the plan says so.
 */
import { describeError } from '../errors.ts';
import type { HostSockets } from '../host/types.ts';
import { createNetdClient, type NetdClient } from '../netd/client.ts';
import { NetdError } from '../netd/errors.ts';
import { labLinkNames } from '../netd/names.ts';
import type { ListView, NetdDesign, ReleaseView } from '../netd/views.ts';
import type { CleanupInventory, CleanupItem, CleanupPlan, KeptItem } from './cleanup-plan.ts';
import type { CleanupOutcome } from './cleanup-run.ts';

/** A link the plan removes. */
type LinkItem = Extract<CleanupItem, { kind: 'link' }>;

/** How cleanup removes the lab links of the namespace it runs in. */
export interface LinkRoute {
  socketPath: string;
  /** Why microvm-netd is not used at all (it did not answer hello and ping, or list), or null when it answered. */
  unavailable: string | null;
  /** The design the daemon follows (null: unknown or unavailable). */
  design: NetdDesign | null;
  /** Labs released through the daemon. */
  viaNetd: ReadonlySet<string>;
  /** Labs whose links are deleted directly although the daemon answered, with why. */
  direct: ReadonlyMap<string, string>;
  /** Links without an owner record that the daemon lists for a lab cleanup removes: released through it only. */
  adopted: readonly LinkItem[];
  /** What cleanup leaves, with why (the shared bridge; unrecorded links it cannot prove). */
  left: readonly KeptItem[];
}

/** The daemon as cleanup reaches it: a quick client for hello and ping, a patient one for list and release. */
export interface CleanupNetd {
  socketPath: string;
  probe: NetdClient;
  client: NetdClient;
}

/** hello and ping must answer fast (a wedged daemon delays cleanup by no more); a release may queue behind other requests. */
const PROBE_TIMEOUT_MS = 2000;
const RELEASE_TIMEOUT_MS = 30_000;

/** Returns the daemon on `socketPath` as cleanup reaches it (nothing is sent yet). */
export function reachNetd(sockets: HostSockets, socketPath: string): CleanupNetd {
  return {
    socketPath,
    probe: createNetdClient({ sockets, socketPath, timeoutMs: PROBE_TIMEOUT_MS }),
    client: createNetdClient({ sockets, socketPath, timeoutMs: RELEASE_TIMEOUT_MS }),
  };
}

/** Returns, per lab, the names of the links the plan removes in the namespace cleanup runs in. */
export function linksHere(plan: CleanupPlan): Map<string, Set<string>> {
  const labs = new Map<string, Set<string>>();
  for (const item of plan.remove) {
    if (item.kind !== 'link' || item.netns !== null) continue;
    labs.set(item.labId, (labs.get(item.labId) ?? new Set()).add(item.name));
  }
  return labs;
}

/**
 * obr/otp links here without any alias that are named for a lab whose directory or process the
 * plan removes: what a shared-bridge (or old per-lab) daemon leaves, which only it may release.
 */
export function unrecordedLinks(plan: CleanupPlan, inventory: CleanupInventory): LinkItem[] {
  const labs = new Set(plan.remove.filter((item) => item.kind !== 'link').map((item) => item.labId));
  const found: LinkItem[] = [];
  for (const labId of labs) {
    const names = labLinkNames(labId);
    for (const { netns, link } of inventory.links) {
      if (netns !== null || link.alias !== null) continue;
      if (link.name === names.bridge || link.name === names.tap) found.push({ kind: 'link', netns: null, name: link.name, linkKind: link.kind, labId, alias: null });
    }
  }
  return found;
}

/** True when cleanup has a link in its own namespace that the daemon should release. */
export function needsNetd(plan: CleanupPlan, inventory: CleanupInventory): boolean {
  return linksHere(plan).size > 0 || unrecordedLinks(plan, inventory).length > 0;
}

/** Whether the daemon lists `name` as a lab's device (not a legacy bridge, not one it says nobody owns). */
function listsAsLabs(listed: ListView, name: string): boolean {
  return listed.interfaces.some((entry) => entry.name === name && !entry.legacy && entry.owned !== false);
}

/** Asks the daemon (hello, ping, list) which labs it can release; null when the plan has nothing for it. */
export async function chooseLinkRoute(plan: CleanupPlan, netd: CleanupNetd, inventory?: CleanupInventory): Promise<LinkRoute | null> {
  const here = linksHere(plan);
  const unrecorded = inventory ? unrecordedLinks(plan, inventory) : [];
  if (here.size === 0 && unrecorded.length === 0) return null;
  const none = (why: string): LinkRoute => ({
    socketPath: netd.socketPath,
    unavailable: why,
    design: null,
    viaNetd: new Set(),
    direct: new Map(),
    adopted: [],
    left: unrecorded.map((item) => ({ what: `link ${item.name}`, why: `it has no owner record; it is named for lab ${item.labId}, whose directory cleanup removes, but only microvm-netd could release it and it does not answer` })),
  });
  let design: NetdDesign | null;
  try {
    design = (await netd.probe.identify()).design;
    await netd.probe.ping();
  } catch (error) {
    return none(describeError(error));
  }
  let listed: ListView;
  try {
    listed = await netd.client.list();
  } catch (error) {
    return none(`it answered ping, but list failed: ${describeError(error)}`);
  }
  design ??= listed.design;
  const viaNetd = new Set<string>();
  const direct = new Map<string, string>();
  for (const [labId, found] of here) {
    const lab = listed.labs.find((entry) => entry.lab_prefix === labLinkNames(labId).prefix);
    const seen = [lab?.bridge, lab?.tap].filter((name): name is string => typeof name === 'string');
    if (seen.length === found.size && seen.every((name) => found.has(name))) viaNetd.add(labId);
    else if (!lab) direct.set(labId, 'microvm-netd does not list this lab (it may serve another network namespace)');
    else direct.set(labId, `microvm-netd lists ${seen.join(', ') || 'no device'} for it, cleanup found ${[...found].join(', ')}`);
  }
  const adopted: LinkItem[] = [];
  const left: KeptItem[] = listed.shared_bridges.map((bridge) => ({ what: `bridge ${bridge}`, why: "the shared bridge of microvm-netd's shared-bridge design: every lab's TAP is enslaved to it, so cleanup never removes it" }));
  for (const item of unrecorded) {
    if (listsAsLabs(listed, item.name) && !direct.has(item.labId)) {
      adopted.push(item);
      viaNetd.add(item.labId);
    } else left.push({ what: `link ${item.name}`, why: `it has no owner record and microvm-netd does not list it for lab ${item.labId}: nothing proves it is that lab's` });
  }
  // The daemon's own unrecorded devices of labs cleanup does not remove: running labs, or labs of another state dir.
  for (const { netns, link } of inventory?.links ?? []) {
    if (netns !== null || link.alias !== null || unrecorded.some((item) => item.name === link.name)) continue;
    if (listsAsLabs(listed, link.name)) left.push({ what: `link ${link.name}`, why: 'microvm-netd lists it, but no lab directory cleanup removes names it (a running lab, or one of another state dir): left to the daemon' });
  }
  return { socketPath: netd.socketPath, unavailable: null, design, viaNetd, direct, adopted, left };
}

/** Returns the plan with the route's adopted links to remove (before the lab directories) and its left items kept. Pure. */
export function planWithRoute(plan: CleanupPlan, route: LinkRoute | null): CleanupPlan {
  if (route === null) return plan;
  // The route's reasons replace the plan's generic ones for the same links.
  const replaced = new Set([...route.adopted.map((item) => `link ${item.name}`), ...route.left.map((entry) => entry.what)]);
  const kept = plan.kept.filter((entry) => !replaced.has(entry.what));
  const firstDir = plan.remove.findIndex((item) => item.kind === 'lab-dir');
  const at = firstDir === -1 ? plan.remove.length : firstDir;
  return { ...plan, remove: [...plan.remove.slice(0, at), ...route.adopted, ...plan.remove.slice(at)], kept: [...kept, ...route.left] };
}

/** Which way one plan item goes: `netd` for a link released through the daemon, else `direct`. */
export function linkPath(item: CleanupItem, route: LinkRoute | null): 'netd' | 'direct' {
  return item.kind === 'link' && item.netns === null && route !== null && route.viaNetd.has(item.labId) ? 'netd' : 'direct';
}

/** Daemon answers after which cleanup deletes the lab's links itself: it did not act, or the devices are not what it owns. */
const FALL_BACK_ON = new Set(['NETD_UNAVAILABLE', 'NETD_PROTOCOL_ERROR', 'NETD_COMPAT_ERROR', 'EACCES', 'SHUTTING_DOWN', 'REQUEST_TIMEOUT', 'LAB_COLLISION', 'NAME_IN_USE']);

/** Releases labs through the daemon, once per lab however many of its links the plan holds. */
export function createNetdReleaser(client: NetdClient): (item: LinkItem) => Promise<CleanupOutcome | { fallback: string }> {
  const releases = new Map<string, Promise<ReleaseView>>();
  return async (item) => {
    let release = releases.get(item.labId);
    if (!release) {
      release = client.release(item.labId);
      releases.set(item.labId, release);
    }
    let result: ReleaseView;
    try {
      result = await release;
    } catch (error) {
      if (error instanceof NetdError && FALL_BACK_ON.has(error.code)) {
        const why = `microvm-netd did not release lab ${item.labId}: ${error.summary}`;
        // Without an owner record nothing but the daemon may delete it.
        if (item.alias === null) return { item, status: 'skipped', detail: `link ${item.name} left alone (${why}; it has no owner record to delete it by)` };
        return { fallback: why };
      }
      return { item, status: 'failed', detail: `release_vm_net ${item.labId} through microvm-netd failed: ${describeError(error)}` };
    }
    const how = `through microvm-netd (release_vm_net ${item.labId})`;
    if (result.bridge_deleted === item.name || result.tap_deleted === item.name) return { item, status: 'removed', detail: `deleted link ${item.name} ${how}` };
    return { item, status: 'gone', detail: `link ${item.name} was already gone when released ${how}` };
  };
}
