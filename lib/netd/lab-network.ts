import { NetdOpError } from './errors.ts';
import { createKeyedLock } from './keyed-lock.ts';
import { byName, judgeOwnership, planAlloc, planRelease, planRollback, type PlanSteps } from './link-plan.ts';
import { LinkQueryError, type LinkBatchFailure, type LinkOp, type LinkState, type Links } from './links.ts';
import { labLinkNames, parseOwnerAlias, type LabId, type LabLinkNames } from './names.ts';
import type { AllocResult, DiagLink, DiagResult, ListResult, ListedLab, NetdErrorCode, ReleaseResult } from './protocol.ts';

/** What the lab operations need: the links of one namespace and who owns new TAPs. */
export interface LabNetworkOptions {
  links: Links;
  /**
   * uid that may open new TAPs (an unprivileged Firecracker). null creates them without owner:
   * then the kernel lets anyone who can open /dev/net/tun attach (root only where it is 0600).
   */
  tapOwner: number | null;
  /** Receives one line per adoption or TAP replacement (the daemon's log). */
  log?: (line: string) => void;
}

/** The per-lab operations of the daemon; each throws NetdOpError with the reply's code. */
export interface LabNetwork {
  alloc(labId: LabId): Promise<AllocResult>;
  release(labId: LabId): Promise<ReleaseResult>;
  diag(labId: LabId): Promise<DiagResult>;
  list(): Promise<ListResult>;
}

/** A plan is re-made at most this often when the devices changed under it (EEXIST/ENODEV). */
const ATTEMPTS = 2;

/** Returns the lab operations; requests for labs sharing a name prefix are serialised, others run concurrently. */
export function createLabNetwork(options: LabNetworkOptions): LabNetwork {
  const { links } = options;
  // Keyed by the 10-digit prefix, not the lab id: colliding labs target the same device names.
  const lock = createKeyedLock();

  async function readLinks(): Promise<Map<string, LinkState>> {
    try {
      return byName(await links.listLabLinks());
    } catch (error) {
      if (error instanceof LinkQueryError) {
        throw new NetdOpError(error.errno === 'EPERM' ? 'EPERM' : 'LINK_QUERY_FAILED', `cannot list links: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  // diag and list only read: concurrent ones share one listing (one `ip` process), so many
  // clients asking at once cost one query. alloc and release always read afresh.
  let sharedRead: Promise<Map<string, LinkState>> | null = null;
  function readLinksShared(): Promise<Map<string, LinkState>> {
    sharedRead ??= readLinks().finally(() => {
      sharedRead = null;
    });
    return sharedRead;
  }

  async function allocOnce(names: LabLinkNames, attempt: number): Promise<AllocResult> {
    const plan = planAlloc(names, await readLinks(), options.tapOwner);
    if (plan.action === 'refuse') throw new NetdOpError(plan.code, plan.message);
    const done: AllocResult = { lab_id: names.labId, bridge: names.bridge, tap: names.tap, created: plan.creates.length > 0 };
    if (plan.ops.length === 0) return done;
    const result = await links.apply(plan.ops);
    if (result.ok) {
      for (const note of plan.notes) options.log?.(`lab ${names.labId}: ${note}`);
      return done;
    }
    const undone = await rollBack(names, plan, result.failure);
    const failed = result.failure.index === null ? undefined : plan.ops[result.failure.index];
    // The kernel refused to delete a TAP a process holds open: that is the plan's refusal, not a link failure.
    if (failed?.op === 'delete-tap' && result.failure.errno === 'EBUSY' && plan.busy && undone) throw new NetdOpError(plan.busy.code, plan.busy.message);
    if (attempt < ATTEMPTS && undone && changedUnderUs(result.failure)) return allocOnce(names, attempt + 1);
    throw stepError(plan.ops, result.failure, 'alloc', undone ? '' : '; rolling back what this request created also failed');
  }

  /** Deletes what the failed plan created; returns false when that did not succeed. */
  async function rollBack(names: LabLinkNames, plan: PlanSteps, failure: LinkBatchFailure): Promise<boolean> {
    let undo: LinkOp[];
    if (failure.index !== null) {
      undo = planRollback(plan, failure.index);
    } else {
      // The tool did not say which step failed: delete what this plan creates and now carries our alias.
      const now = await readLinks().catch(() => null);
      if (!now) return false;
      undo = [...plan.creates].reverse().filter((name) => now.get(name)?.alias === names.alias).map((name) => ({ op: 'delete', name }));
    }
    if (undo.length === 0) return true;
    return (await links.apply(undo)).ok;
  }

  async function releaseOnce(names: LabLinkNames, attempt: number): Promise<ReleaseResult> {
    const plan = planRelease(names, await readLinks());
    if (plan.action === 'refuse') throw new NetdOpError(plan.code, plan.message);
    if (plan.ops.length > 0) {
      const result = await links.apply(plan.ops);
      if (!result.ok) {
        if (attempt < ATTEMPTS && changedUnderUs(result.failure)) return releaseOnce(names, attempt + 1);
        throw stepError(plan.ops, result.failure, 'release', '');
      }
    }
    return { lab_id: names.labId, bridge_deleted: plan.deletes.bridge ? names.bridge : null, tap_deleted: plan.deletes.tap ? names.tap : null };
  }

  return {
    alloc: (labId) => {
      const names = labLinkNames(labId);
      return lock.run(names.prefix, () => allocOnce(names, 1));
    },
    release: (labId) => {
      const names = labLinkNames(labId);
      return lock.run(names.prefix, () => releaseOnce(names, 1));
    },
    diag: async (labId) => renderDiag(labLinkNames(labId), await readLinksShared(), options.tapOwner),
    list: async () => renderList(await readLinksShared()),
  };
}

function changedUnderUs(failure: LinkBatchFailure): boolean {
  return failure.errno === 'EEXIST' || failure.errno === 'ENODEV';
}

/** Maps the failed step to its error code: EPERM first, then by what the step was doing. */
function stepError(ops: readonly LinkOp[], failure: LinkBatchFailure, what: 'alloc' | 'release', suffix: string): NetdOpError {
  const op = failure.index === null ? undefined : ops[failure.index];
  const byStep: Record<LinkOp['op'], NetdErrorCode> = {
    'add-bridge': 'CREATE_FAILED',
    'add-tap': 'CREATE_FAILED',
    'set-alias': 'ALIAS_FAILED',
    'set-master': 'ATTACH_FAILED',
    'set-up': 'UP_FAILED',
    delete: 'DELETE_FAILED',
    'delete-tap': 'DELETE_FAILED',
  };
  const code: NetdErrorCode = failure.errno === 'EPERM' ? 'EPERM' : op ? byStep[op.op] : what === 'alloc' ? 'CREATE_FAILED' : 'DELETE_FAILED';
  const step = op ? `${op.op} ${op.name}` : `${what} (step unknown)`;
  return new NetdOpError(code, `${step} failed (${failure.errno}): ${failure.message}${suffix}`);
}

function diagLink(names: LabLinkNames, name: string, kind: 'bridge' | 'tap', link: LinkState | undefined): DiagLink {
  const ownership = judgeOwnership(names, kind, link);
  return {
    name,
    exists: link !== undefined,
    owner_lab_id: parseOwnerAlias(link?.alias),
    owned: ownership.kind === 'ours',
    kind: link?.kind ?? null,
    up: link?.up ?? false,
    state: link?.operState ?? null,
    master: link?.master ?? null,
  };
}

/**
 * Returns the state of both devices of a lab and whether together they are usable: a TAP whose
 * owner is not `tapOwner` (the daemon's --tap-owner) is not, since the VMM user it serves cannot
 * open it (alloc replaces such a TAP while no process holds it).
 */
export function renderDiag(names: LabLinkNames, links: ReadonlyMap<string, LinkState>, tapOwner: number | null): DiagResult {
  const bridge = diagLink(names, names.bridge, 'bridge', links.get(names.bridge));
  const tapLink = links.get(names.tap);
  const ownerUid = tapLink?.owner ?? null;
  const ownerMatches = tapLink !== undefined && ownerUid === tapOwner;
  const tap = { ...diagLink(names, names.tap, 'tap', tapLink), owner_uid: ownerUid, owner_expected: tapOwner, owner_matches: ownerMatches };
  const healthy = bridge.owned && tap.owned && bridge.up && tap.up && tap.master === names.bridge && ownerMatches;
  return { lab_id: names.labId, bridge, tap, healthy };
}

/** Returns the labs that own devices (from the aliases) and the obr/otp devices nobody owns. */
export function renderList(links: ReadonlyMap<string, LinkState>): ListResult {
  const labs = new Map<string, ListedLab>();
  const interfaces: ListResult['interfaces'] = [];
  const unowned: string[] = [];
  for (const link of [...links.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const owner = parseOwnerAlias(link.alias);
    const type = link.name.startsWith('obr') ? 'bridge' : 'tap';
    // Owned means: the alias names a lab whose derived name is exactly this device.
    if (owner === null || labLinkNames(owner)[type] !== link.name) {
      unowned.push(link.name);
      continue;
    }
    const lab = labs.get(owner) ?? { lab_id: owner, bridge: null, tap: null };
    lab[type] = link.name;
    labs.set(owner, lab);
    interfaces.push({ name: link.name, type, lab_id: owner });
  }
  return { labs: [...labs.values()], interfaces, count: interfaces.length, unowned };
}
