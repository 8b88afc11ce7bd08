import { promises as fs } from 'node:fs';
import type { BootStep } from '../../../lib/firecracker/boot-state.ts';
import { insertAfter } from '../../../lib/firecracker/boot-steps.ts';
import type { NetdClient } from '../../../lib/netd/client.ts';
import { readLinks } from '../netd/support.ts';
import type { FakeUser } from './fake-in-netns.ts';

/**
 * Boot steps the net-boot host test inserts to look at the TAP from outside the VMM, and the
 * /proc reads behind them. What they see comes from the kernel, not from the fake's own word.
 */

/** What the kernel says about the VMM and its TAP at one point of the boot. */
export interface TapSighting {
  /** The step after which this was seen. */
  after: string;
  /** The real uid of the VMM process. */
  uid: number;
  /** Interfaces the VMM's open tun fds are attached to (`iff:` in /proc/<pid>/fdinfo). */
  attached: string[];
  /** The TAP has carrier: some fd is attached to its queue (a TAP nobody opened shows NO-CARRIER). */
  carrier: boolean;
  /** The TAP's operstate as netd's diag reports it during the boot. */
  netdState: string | null;
}

/** Names of the TAPs the process's tun fds are attached to, from /proc/<pid>/fdinfo. */
export async function tapsAttachedBy(pid: number): Promise<string[]> {
  const names: string[] = [];
  for (const fd of await fs.readdir(`/proc/${pid}/fdinfo`)) {
    const info = await fs.readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
    const iff = /^iff:\s*(\S+)$/m.exec(info);
    if (iff) names.push(iff[1]!);
  }
  return names.sort();
}

/** The real uid of a process (first field of `Uid:` in /proc/<pid>/status). */
export async function realUidOf(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

/** A step that records a TapSighting of the running VMM; insert it after the step named `after`. */
export function watchTapStep(after: string, netns: string, netd: NetdClient, sightings: TapSighting[]): BootStep {
  return {
    name: `watch-tap-after-${after}`,
    title: `look at the TAP from outside after ${after}`,
    timeoutMs: 15_000,
    async run({ state }) {
      const pid = state.vmm?.pid;
      const tap = state.network?.tap;
      if (pid === undefined || tap === undefined) throw new Error('watch-tap needs a running VMM and an allocated TAP');
      const link = (await readLinks(netns)).find((l) => l.ifname === tap);
      if (!link) throw new Error(`TAP ${tap} is not in namespace ${netns}`);
      const carrier = !link.flags.includes('NO-CARRIER');
      // The flag follows the attach at once; operstate follows it through the kernel's linkwatch work, a moment later.
      let diag = await netd.diag(state.inputs.labId);
      for (let i = 0; carrier && diag.tap.state === 'down' && i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        diag = await netd.diag(state.inputs.labId);
      }
      sightings.push({ after, uid: await realUidOf(pid), attached: await tapsAttachedBy(pid), carrier, netdState: diag.tap.state });
    },
  };
}

/**
 * Gives the lab to the unprivileged VMM user, as if a runner running as that user had created it:
 * the lab directory and its log right after `prepare` (before the VMM starts in it), and the rootfs
 * copy once `rootfs-copy` has made it (it runs alongside the start-up), before `rootfs-drive` has
 * the VMM open it. The runner (root here) still opens serial.log and firecracker.stderr itself and
 * removes it all at teardown.
 */
export function withLabHandedOver(steps: readonly BootStep[], user: FakeUser): BootStep[] {
  const chown = async (files: string[]) => {
    for (const file of files) await fs.chown(file, user.uid, user.gid);
  };
  const lab: BootStep = { name: 'hand-over-lab', title: 'give the lab directory to the VMM user', timeoutMs: 10_000, run: ({ state }) => chown([state.paths.dir, state.paths.log]) };
  const rootfs: BootStep = { name: 'hand-over-rootfs', title: 'give the rootfs copy to the VMM user', timeoutMs: 10_000, needs: ['rootfs-copy'], run: ({ state }) => chown([state.paths.rootfs]) };
  return insertAfter(insertAfter(steps, 'prepare', lab), 'boot-source', rootfs);
}

/** What the kernel says the lab's TAP is enslaved to, just after the netd step. */
export interface Enslavement {
  tap: string;
  master: string | null;
  /** The bridge the daemon named in its alloc reply. */
  named: string;
}

/** A step (insert it after `netd`) that reads the TAP's master from the kernel. */
export function enslavementStep(netns: string, seen: Enslavement[]): BootStep {
  return {
    name: 'read-tap-master',
    title: "read the TAP's master from the kernel",
    timeoutMs: 15_000,
    async run({ state }) {
      const network = state.network;
      if (!network) throw new Error('read-tap-master needs an allocated TAP');
      const link = (await readLinks(netns)).find((l) => l.ifname === network.tap);
      seen.push({ tap: network.tap, master: link?.master ?? null, named: network.bridge });
    },
  };
}
