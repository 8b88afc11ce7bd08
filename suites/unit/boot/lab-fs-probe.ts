/**
 * Watches what a boot does to its lab, operation by operation, around the real LabFs and spawn:
 * each call is logged when it starts and ends, one chosen operation can be held until the test
 * lets it go (to abort a boot exactly while that operation is under way), and the probe says
 * afterwards whether teardown ever overlapped a creation or anything started after the result.
 */
import type { LabFs } from '../../../lib/firecracker/lab-fs.ts';
import type { SpawnVmm } from '../../../lib/firecracker/vmm-process.ts';
import { createRealLabFs } from '../../../lib/host/vmm/real-lab-fs.ts';
import { spawnVmm } from '../../../lib/host/vmm/spawn-vmm.ts';

/** The operations that make something (as opposed to teardown's removals and the waits). */
export const CREATING = ['createDir', 'createEmptyFile', 'writeFileAtomic', 'copyRootfs', 'tail', 'spawn'] as const;
export type CreatingOp = (typeof CREATING)[number];
const REMOVING = new Set(['removeDir', 'removeFile']);

interface Hold {
  entered: Promise<void>;
  enter(): void;
  released: Promise<void>;
  release(): void;
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The probe: pass `files` and `spawn` to bootMicroVm. */
export class LabFsProbe {
  /** `start op` / `end op` / `fail op`, in order. */
  readonly log: string[] = [];
  /** Creations that were under way when a removal began (teardown raced the step). */
  readonly overlaps: string[] = [];
  /** Operations begun after `markReturned()` (the boot went on after its result). */
  readonly afterReturn: string[] = [];
  private readonly inFlight = new Map<string, number>();
  private readonly holds = new Map<string, Hold>();
  private returned = false;
  readonly files: LabFs;
  readonly spawn: SpawnVmm;

  constructor(real: LabFs = createRealLabFs(), realSpawn: SpawnVmm = spawnVmm) {
    const wrapped = {} as Record<string, unknown>;
    for (const [name, fn] of Object.entries(real) as Array<[string, (...args: unknown[]) => Promise<unknown>]>) {
      wrapped[name] = (...args: unknown[]) => this.track(name, () => fn(...args));
    }
    this.files = wrapped as unknown as LabFs;
    this.spawn = (request) => this.track('spawn', () => realSpawn(request));
  }

  /** Holds the next call of `op` after it has done its work, until `release()`; `entered` resolves when it is held. */
  hold(op: CreatingOp): { entered: Promise<void>; release(): void } {
    const entered = deferred();
    const released = deferred();
    const hold: Hold = { entered: entered.promise, enter: entered.resolve, released: released.promise, release: released.resolve };
    this.holds.set(op, hold);
    return { entered: hold.entered, release: hold.release };
  }

  /** Call once bootMicroVm has returned: from now on every operation begun is a finding. */
  markReturned(): void {
    this.returned = true;
  }

  /** Resolves once no operation is under way and none began during one more turn of the event loop. */
  async quiet(): Promise<void> {
    for (;;) {
      const before = this.log.length;
      await new Promise((resolve) => setImmediate(resolve));
      if ([...this.inFlight.values()].every((n) => n === 0) && this.log.length === before) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private async track<T>(op: string, run: () => Promise<T>): Promise<T> {
    if (this.returned) this.afterReturn.push(op);
    if (REMOVING.has(op)) {
      for (const [other, n] of this.inFlight) if (n > 0 && (CREATING as readonly string[]).includes(other)) this.overlaps.push(`${op} began while ${other} was under way`);
    }
    this.log.push(`start ${op}`);
    this.inFlight.set(op, (this.inFlight.get(op) ?? 0) + 1);
    try {
      const value = await run();
      const hold = this.holds.get(op);
      if (hold) {
        this.holds.delete(op);
        hold.enter();
        await hold.released;
      }
      this.log.push(`end ${op}`);
      return value;
    } catch (error) {
      this.log.push(`fail ${op}`);
      throw error;
    } finally {
      this.inFlight.set(op, this.inFlight.get(op)! - 1);
    }
  }
}
