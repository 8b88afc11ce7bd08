import { createAddressBook, type SlotClaim } from './address-book.ts';
import { gatewayCidr, paramsOf, type AddressPool } from './address-pool.ts';
import { NetdOpError } from './errors.ts';
import { createKeyedLock } from './keyed-lock.ts';
import { labSlot, renderDiag } from './lab-diag.ts';
import { byName, planAlloc, planRelease, planRollback, type PlanSteps } from './link-plan.ts';
import { createLinkReader } from './link-reader.ts';
import { LinkQueryError, type LinkBatchFailure, type LinkOp, type LinkState, type Links } from './links.ts';
import { renderListPage } from './list-page.ts';
import { labLinkNames, type LabId, type LabLinkNames } from './names.ts';
import type { NetdErrorCode, PerLabAllocResult, PerLabDiagResult, PerLabListResult, PerLabReleaseResult } from './protocol.ts';

/** What the lab operations need: the links of one namespace, who owns new TAPs, and the address pool. */
export interface LabNetworkOptions {
  links: Links;
  /**
   * uid that may open new TAPs (an unprivileged Firecracker). null creates them without owner:
   * then the kernel lets anyone who can open /dev/net/tun attach (root only where it is 0600).
   */
  tapOwner: number | null;
  /** Where lab subnets come from (address-pool.ts). */
  pool: AddressPool;
  /** Receives one line per adoption, repair or TAP replacement (the daemon's log). */
  log?: (line: string) => void;
}

/** The per-lab operations of the daemon; each throws NetdOpError with the reply's code. */
export interface LabNetwork {
  alloc(labId: LabId): Promise<PerLabAllocResult>;
  release(labId: LabId): Promise<PerLabReleaseResult>;
  diag(labId: LabId): Promise<PerLabDiagResult>;
  /** One page of the device list, from `offset` (default 0). */
  list(offset?: number): Promise<PerLabListResult>;
}

/** A plan is re-made at most this often when the devices changed under it (EEXIST/ENODEV). */
const ATTEMPTS = 2;

/** Returns the lab operations; requests for labs sharing a name prefix are serialised, others run concurrently. */
export function createLabNetwork(options: LabNetworkOptions): LabNetwork {
  const { links, pool } = options;
  // Keyed by the 10-digit prefix, not the lab id: colliding labs target the same device names.
  const lock = createKeyedLock();
  const book = createAddressBook(pool);

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

  // One listing at a time, shared: alloc and release wait for one that starts after they asked,
  // diag and list take the one running (link-reader.ts). Many clients at once cost few queries.
  const reader = createLinkReader(readLinks, book.markListing);

  /** The lab's subnet: the one its bridge carries, or a claimed free one the plan adds. */
  function chooseSlot(names: LabLinkNames, now: Map<string, LinkState>, mark: number): { slot: number; claim: SlotClaim | null } {
    const slot = labSlot(pool, names, now.get(names.bridge));
    if (slot !== null) return { slot, claim: null };
    const claim = book.claim(names.labId, now.values(), mark);
    return { slot: claim.slot, claim };
  }

  async function allocOnce(names: LabLinkNames, attempt: number): Promise<PerLabAllocResult> {
    const { value: now, mark } = await reader.fresh();
    // Refusals first: a lab that may not have these devices never claims a subnet.
    const check = planAlloc(names, now, options.tapOwner);
    if (check.action === 'refuse') throw new NetdOpError(check.code, check.message);
    const { slot, claim } = chooseSlot(names, now, mark);
    const plan = claim ? planAlloc(names, now, options.tapOwner, gatewayCidr(pool, slot)) : check;
    if (plan.action === 'refuse') throw new NetdOpError(plan.code, plan.message);
    const done: PerLabAllocResult = {
      lab_id: names.labId,
      lab_id_suffix: names.suffix,
      bridge: names.bridge,
      tap: names.tap,
      ...paramsOf(pool, slot),
      created: plan.creates.length > 0,
    };
    if (plan.ops.length === 0) return done;
    const result = await links.apply(plan.ops);
    if (result.ok) {
      claim?.settle();
      for (const note of plan.notes) options.log?.(`lab ${names.labId}: ${note}`);
      return done;
    }
    const undone = await rollBack(names, plan, result.failure);
    claim?.drop();
    const failed = result.failure.index === null ? undefined : plan.ops[result.failure.index];
    // The kernel refused to delete a TAP a process holds open: that is the plan's refusal, not a link failure.
    if (failed?.op === 'delete-tap' && result.failure.errno === 'EBUSY' && plan.busy && undone) throw new NetdOpError(plan.busy.code, plan.busy.message);
    if (attempt < ATTEMPTS && undone && changedUnderUs(result.failure)) return allocOnce(names, attempt + 1);
    throw stepError(plan.ops, result.failure, 'alloc', undone ? '' : '; rolling back what this request created also failed');
  }

  /** Undoes what the failed plan did (devices it created, an address it added); returns false when that did not succeed. */
  async function rollBack(names: LabLinkNames, plan: PlanSteps, failure: LinkBatchFailure): Promise<boolean> {
    let undo: LinkOp[];
    if (failure.index !== null) {
      undo = planRollback(plan, failure.index);
    } else {
      // The tool did not say which step failed: undo what this plan creates and now carries our alias or address.
      const now = await reader.fresh().then(
        (listing) => listing.value,
        () => null,
      );
      if (!now) return false;
      undo = planRollback(plan, plan.ops.length).filter((op) =>
        op.op === 'del-address' ? now.get(op.name)?.addresses.some((iface) => `${iface.address}/${iface.prefixLen}` === op.address) : now.get(op.name)?.alias === names.alias,
      );
    }
    if (undo.length === 0) return true;
    return (await links.apply(undo)).ok;
  }

  async function releaseOnce(names: LabLinkNames, attempt: number): Promise<PerLabReleaseResult> {
    const plan = planRelease(names, (await reader.fresh()).value);
    if (plan.action === 'refuse') throw new NetdOpError(plan.code, plan.message);
    if (plan.ops.length > 0) {
      const result = await links.apply(plan.ops);
      if (!result.ok) {
        if (attempt < ATTEMPTS && changedUnderUs(result.failure)) return releaseOnce(names, attempt + 1);
        throw stepError(plan.ops, result.failure, 'release', '');
      }
    }
    // Deleting the bridge took its address with it: the subnet is free for the next alloc.
    return {
      lab_id: names.labId,
      lab_id_suffix: names.suffix,
      bridge_deleted: plan.deletes.bridge ? names.bridge : null,
      tap_deleted: plan.deletes.tap ? names.tap : null,
    };
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
    diag: async (labId) => renderDiag(labLinkNames(labId), (await reader.any()).value, options.tapOwner, pool),
    list: async (offset = 0) => renderListPage((await reader.any()).value, offset),
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
    'add-address': 'ADDRESS_FAILED',
    'del-address': 'ADDRESS_FAILED',
    delete: 'DELETE_FAILED',
    'delete-tap': 'DELETE_FAILED',
  };
  const code: NetdErrorCode = failure.errno === 'EPERM' ? 'EPERM' : op ? byStep[op.op] : what === 'alloc' ? 'CREATE_FAILED' : 'DELETE_FAILED';
  const step = op ? `${op.op} ${op.name}` : `${what} (step unknown)`;
  return new NetdOpError(code, `${step} failed (${failure.errno}): ${failure.message}${suffix}`);
}

