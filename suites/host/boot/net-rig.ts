import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'vitest';
import { writeFakeImages } from '../../../fixtures/fake-firecracker/index.ts';
import { bootMicroVm, type BootOptions } from '../../../lib/firecracker/boot-pipeline.ts';
import type { BootResult } from '../../../lib/firecracker/boot-result.ts';
import { createNetdLease } from '../../../lib/firecracker/netd-lease.ts';
import { createRealHost } from '../../../lib/host/real-host.ts';
import { createNetdClient } from '../../../lib/netd/client.ts';
import { requireRoot, requireTools } from '../../support/require.ts';
import { fakeInputs, processesWith } from '../../unit/boot/boot-harness.ts';
import { Throwaway, type ThrowawayUser } from '../doctor/throwaway.ts';
import { createNetns, deleteNetns, labLinksIn, netnsExists } from '../netd/support.ts';
import { writeFakeWrapper } from './fake-in-netns.ts';
import { startNetdProcess, type NetdProcess } from './netd-process.ts';
import { startSharedNetdProcess } from '../../../fixtures/fake-shared-netd/spawn.ts';
import { clientOf } from '../netd/support.ts';

/**
 * One net-boot test's world: a namespace, a throwaway socket group (and users), the real
 * microvm-netd as a process in that namespace, the fake's images and state dir, and the wrapper
 * that runs the fake there. `cleanup()` removes all of it and reports what it found left over.
 */

/** Who owns the TAPs netd makes, and who the fake runs as. */
export interface RigOptions {
  /** Run the fake as a throwaway unprivileged user instead of root. */
  fakeAsUser?: boolean;
  /** `--tap-owner`: the fake's user, another throwaway user, or none (root-owned TAPs). */
  tapOwner?: 'fake-user' | 'other-user';
  /** Which netd serves the namespace: the reference daemon (per-lab, default) or the shared-bridge fake driving the real ip. */
  design?: 'per-lab' | 'shared-bridge';
}

/** A ready rig (see createNetRig). */
export interface NetRig {
  netns: string;
  netd: NetdProcess;
  stateDir: string;
  firecrackerBin: string;
  kernel: string;
  rootfs: string;
  fakeUser: ThrowawayUser | null;
  tapOwnerUid: number | null;
  /** Boots through the real pipeline with `netd` wired as the boot command wires it. */
  boot(options?: { fakeMode?: string; editSteps?: BootOptions['editSteps']; signal?: AbortSignal }): Promise<BootResult>;
  /** Removes everything; returns what was left behind that should not have been ([] = clean). */
  cleanup(): Promise<string[]>;
}

/** Builds the rig; skips (or fails under the require switch) when root, iproute2 or the user tools are missing. */
export async function createNetRig(ctx: TestContext, options: RigOptions = {}): Promise<NetRig> {
  requireRoot(ctx);
  requireTools(ctx, 'net', ['ip']);
  if (options.fakeAsUser || options.tapOwner) requireTools(ctx, 'users', ['useradd', 'userdel', 'groupadd', 'groupdel', 'setpriv', 'mknod', 'mount']);
  const throwaway = new Throwaway();
  let netns: string | null = null;
  let netd: NetdProcess | null = null;
  let stateDir = '';
  const cleanup = async (): Promise<string[]> => {
    const problems: string[] = [];
    const strays = stateDir ? await processesWith(stateDir) : [];
    for (const pid of strays) process.kill(pid, 'SIGKILL');
    if (strays.length > 0) problems.push(`VMM processes outlived the boot: ${strays.join(', ')}`);
    if (netd) await netd.stop();
    if (netns) {
      const links = await labLinksIn(netns);
      if (links.length > 0) problems.push(`lab links left in ${netns}: ${links.join(', ')}`);
      await deleteNetns(netns);
      if (await netnsExists(netns)) problems.push(`namespace ${netns} still exists`);
    }
    await throwaway.cleanup();
    return problems;
  };
  try {
    const group = await throwaway.group('ovnb');
    const fakeUser = options.fakeAsUser || options.tapOwner ? await throwaway.user('ovfc') : null;
    const other = options.tapOwner === 'other-user' ? await throwaway.user('ovot') : null;
    const tapOwnerUid = options.tapOwner === 'fake-user' ? fakeUser!.uid : (other?.uid ?? null);
    const root = await throwaway.directory();
    stateDir = path.join(root, 'state');
    const binDir = path.join(root, 'bin');
    for (const dir of [stateDir, binDir]) await fs.mkdir(dir, { mode: 0o755 });
    const images = await writeFakeImages(root);
    // The unprivileged fake opens the kernel itself (PUT /boot-source); the runner copies the rootfs.
    await fs.chmod(images.kernel, 0o644);
    netns = await createNetns();
    netd =
      options.design === 'shared-bridge'
        ? await startSharedNetd(netns, path.join(root, 'run'))
        : await startNetdProcess({ netns, runDir: path.join(root, 'run'), group: group.name, ...(tapOwnerUid === null ? {} : { tapOwner: tapOwnerUid }) });
    const runAs = options.fakeAsUser && fakeUser ? fakeUser : undefined;
    const firecrackerBin = await writeFakeWrapper(binDir, netns, runAs);
    const host = createRealHost();
    const lease = createNetdLease(createNetdClient({ sockets: host.sockets, socketPath: netd.socketPath, timeoutMs: 10_000 }));
    const sandbox = { root, stateDir, images, cleanup: async () => undefined };
    const rig: NetRig = {
      netns,
      netd,
      stateDir,
      firecrackerBin,
      kernel: images.kernel,
      rootfs: images.rootfs,
      fakeUser: runAs ? fakeUser : null,
      tapOwnerUid,
      boot: (boot = {}) =>
        bootMicroVm({
          inputs: fakeInputs(sandbox, [], { firecrackerBin, env: { ...process.env, FAKE_FIRECRACKER_MODE: boot.fakeMode ?? '' } }),
          budgetMs: 60_000,
          host,
          netd: lease,
          signal: boot.signal,
          editSteps: boot.editSteps,
        }),
      cleanup,
    };
    return rig;
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
}

/** The shared-bridge fake as a process in `netns` (real ip), shaped as the rig's NetdProcess. */
async function startSharedNetd(netns: string, runDir: string): Promise<NetdProcess> {
  await fs.mkdir(runDir, { recursive: true });
  const shared = await startSharedNetdProcess({ socketPath: path.join(runDir, 'microvm-netd.sock'), netns });
  return {
    socketPath: shared.socketPath,
    client: clientOf(shared.socketPath),
    stop: async () => {
      const stopped = await shared.stop();
      return { exitCode: stopped.exitCode, signal: stopped.signal, output: stopped.stderr };
    },
  };
}
