/**
 * Cleanup's route for lab links: through microvm-netd when it answers, so that its per-lab
 * serialisation holds (an alloc racing a cleanup waits for the release, or the other way round),
 * and directly with ip only when it does not. The daemon is taken to serve the namespace cleanup
 * runs in; a lab is released through it only when its `list` shows exactly the devices cleanup
 * found there (else it likely serves another namespace). Links in other namespaces (--netns) are
 * always deleted directly.
 */
import { describeError } from '../errors.ts';
import type { HostSockets } from '../host/types.ts';
import { createNetdClient, type NetdClient } from '../netd/client.ts';
import { NetdError } from '../netd/errors.ts';
import type { ReleaseResult } from '../netd/protocol.ts';
import type { CleanupItem, CleanupPlan } from './cleanup-plan.ts';
import type { CleanupOutcome } from './cleanup-run.ts';

/** How cleanup removes the lab links of the namespace it runs in. */
export interface LinkRoute {
  socketPath: string;
  /** Why microvm-netd is not used at all (it did not answer hello and ping, or list), or null when it answered. */
  unavailable: string | null;
  /** Labs released through the daemon. */
  viaNetd: ReadonlySet<string>;
  /** Labs whose links are deleted directly although the daemon answered, with why. */
  direct: ReadonlyMap<string, string>;
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

/** A link the plan removes. */
type LinkItem = Extract<CleanupItem, { kind: 'link' }>;

/** Returns, per lab, the names of the links the plan removes in the namespace cleanup runs in. */
export function linksHere(plan: CleanupPlan): Map<string, Set<string>> {
  const labs = new Map<string, Set<string>>();
  for (const item of plan.remove) {
    if (item.kind !== 'link' || item.netns !== null) continue;
    labs.set(item.labId, (labs.get(item.labId) ?? new Set()).add(item.name));
  }
  return labs;
}

/** Asks the daemon (hello, ping, list) which labs it can release; null when the plan has no link here. */
export async function chooseLinkRoute(plan: CleanupPlan, netd: CleanupNetd): Promise<LinkRoute | null> {
  const here = linksHere(plan);
  if (here.size === 0) return null;
  const none = (why: string): LinkRoute => ({ socketPath: netd.socketPath, unavailable: why, viaNetd: new Set(), direct: new Map() });
  try {
    await netd.probe.hello();
    await netd.probe.ping();
  } catch (error) {
    return none(describeError(error));
  }
  let listed;
  try {
    listed = await netd.client.list();
  } catch (error) {
    return none(`it answered ping, but list failed: ${describeError(error)}`);
  }
  const viaNetd = new Set<string>();
  const direct = new Map<string, string>();
  for (const [labId, found] of here) {
    const lab = listed.labs.find((entry) => entry.lab_id === labId);
    const seen = [lab?.bridge, lab?.tap].filter((name): name is string => typeof name === 'string');
    if (seen.length === found.size && seen.every((name) => found.has(name))) viaNetd.add(labId);
    else if (!lab) direct.set(labId, 'microvm-netd does not list this lab (it may serve another network namespace)');
    else direct.set(labId, `microvm-netd lists ${seen.join(', ') || 'no device'} for it, cleanup found ${[...found].join(', ')}`);
  }
  return { socketPath: netd.socketPath, unavailable: null, viaNetd, direct };
}

/** Which way one plan item goes: `netd` for a link released through the daemon, else `direct`. */
export function linkPath(item: CleanupItem, route: LinkRoute | null): 'netd' | 'direct' {
  return item.kind === 'link' && item.netns === null && route !== null && route.viaNetd.has(item.labId) ? 'netd' : 'direct';
}

/** Daemon answers after which cleanup deletes the lab's links itself: it did not act, or the devices are not what it owns. */
const FALL_BACK_ON = new Set(['NETD_UNAVAILABLE', 'NETD_PROTOCOL_ERROR', 'NETD_COMPAT_ERROR', 'EACCES', 'SHUTTING_DOWN', 'REQUEST_TIMEOUT', 'LAB_COLLISION', 'NAME_IN_USE']);

/** Releases labs through the daemon, once per lab however many of its links the plan holds. */
export function createNetdReleaser(client: NetdClient): (item: LinkItem) => Promise<CleanupOutcome | { fallback: string }> {
  const releases = new Map<string, Promise<ReleaseResult>>();
  return async (item) => {
    let release = releases.get(item.labId);
    if (!release) {
      release = client.release(item.labId);
      releases.set(item.labId, release);
    }
    let result: ReleaseResult;
    try {
      result = await release;
    } catch (error) {
      if (error instanceof NetdError && FALL_BACK_ON.has(error.code)) return { fallback: `microvm-netd did not release lab ${item.labId}: ${error.summary}` };
      return { item, status: 'failed', detail: `release_vm_net ${item.labId} through microvm-netd failed: ${describeError(error)}` };
    }
    const how = `through microvm-netd (release_vm_net ${item.labId})`;
    if (result.bridge_deleted === item.name || result.tap_deleted === item.name) return { item, status: 'removed', detail: `deleted link ${item.name} ${how}` };
    return { item, status: 'gone', detail: `link ${item.name} was already gone when released ${how}` };
  };
}
