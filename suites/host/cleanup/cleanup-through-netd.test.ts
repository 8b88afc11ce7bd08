import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { describe, expect, it, type TestContext } from 'vitest';
import { startSharedNetdProcess } from '../../../fixtures/fake-shared-netd/spawn.ts';
import { runCleanupCommand } from '../../../lib/cli/commands/cleanup.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { createIpLinks } from '../../../lib/host/ip-links.ts';
import { createRealHost } from '../../../lib/host/real-host.ts';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { requireRoot, requireTools } from '../../support/require.ts';
import { clientOf, createNetns, deleteNetns, labLinksIn, netnsExists, readLinks, startDaemon } from '../netd/support.ts';

/** One test's world: a namespace, a temp dir with run/ and the state dir, and cleanup run as the CLI runs it in that namespace. */
interface World {
  netns: string;
  socketPath: string;
  stateDir: string;
  /** Runs `cleanup --state-dir <stateDir> …extra` (its own namespace is the test's: the one the daemon serves). */
  run(extra: string[]): Promise<number>;
  /** What the runs printed since the last take. */
  take(): string;
  /** Stops the daemon at the end (registered by the test). */
  stop: () => Promise<void>;
}

/** Builds the world, runs `body`, then removes all of it and checks nothing is left behind. */
async function withWorld(ctx: TestContext, body: (world: World) => Promise<void>): Promise<void> {
  requireRoot(ctx);
  requireTools(ctx, 'net', ['ip']);
  const rootLinks = await labLinksIn(null);
  const netns = await createNetns();
  const temp = await dir({ unsafeCleanup: true });
  const out: string[] = [];
  const socketPath = path.join(temp.path, 'run', 'microvm-netd.sock');
  const stateDir = path.join(temp.path, 'microvm');
  const io: CliIo = { argv: [], env: { PATH: process.env.PATH, OCTOLAB_MICROVM_NETD_SOCK: socketPath }, cwd: temp.path, stdout: { write: (t: string) => out.push(t) } as never, stderr: { write: (t: string) => out.push(t) } as never };
  const host = createRealHost();
  const deps = { host, linksIn: () => createIpLinks({ proc: host.proc, netns }) };
  const world: World = {
    netns,
    socketPath,
    stateDir,
    run: (extra) => runCleanupCommand(io, ['--state-dir', stateDir, ...extra], deps),
    take: () => out.splice(0).join(''),
    stop: async () => undefined,
  };
  try {
    await fs.mkdir(path.dirname(socketPath));
    await body(world);
  } finally {
    await world.stop();
    await deleteNetns(netns);
    await temp.cleanup();
  }
  expect(await netnsExists(netns)).toBe(false);
  expect(await labLinksIn(null)).toEqual(rootLinks);
}

describe('octolab-verify cleanup with microvm-netd running', () => {
  it("releases a crashed lab's links through the per-lab daemon that serves the namespace (release_vm_net), and leaves what it does not own", { tags: ['root', 'net'], timeout: 120_000 }, async (ctx) => {
    await withWorld(ctx, async (world) => {
      const running = await startDaemon({ netns: world.netns, socketPath: world.socketPath, tapOwner: 4242 });
      world.stop = () => running.daemon.stop();
      const lab = labLinkNames(randomUUID());
      await fs.mkdir(path.join(world.stateDir, `lab_${lab.labId}`), { recursive: true });
      // The daemon made the crashed lab's devices; a bare TAP is a decoy.
      await running.client.alloc(lab.labId);
      await execa('ip', ['-n', world.netns, 'tuntap', 'add', 'dev', 'otp0123456789', 'mode', 'tap']);

      expect(await world.run(['--dry-run'])).toBe(0);
      const plan = world.take();
      expect(plan).toContain(`links: would release lab by lab through microvm-netd at ${world.socketPath} (release_vm_net; it answered hello and ping; per-lab design)`);
      expect(plan).toContain(`${lab.tap}  owner ${lab.alias}  [through microvm-netd]`);
      expect(running.log.some((line) => line.startsWith('op=release_vm_net'))).toBe(false);

      expect(await world.run([])).toBe(0);
      const text = world.take();
      expect(text).toContain(`[removed] deleted link ${lab.bridge} through microvm-netd (release_vm_net ${lab.labId})`);
      expect(text).toContain(`[removed] deleted link ${lab.tap} through microvm-netd (release_vm_net ${lab.labId})`);
      expect(text).toMatch(/cleanup: 3 removed\n$/);
      expect(running.log.filter((line) => line.startsWith('op=release_vm_net')).map((line) => line.replace(/ duration_ms=.*$/, ''))).toEqual([`op=release_vm_net lab=${lab.labId} result=ok`]);
      expect(await labLinksIn(world.netns)).toEqual(['otp0123456789']);
      expect(await fs.readdir(world.stateDir)).toEqual([]);
    });
  });

  it("releases a crashed lab's TAP through a shared-bridge daemon (no owner records), and leaves br-octonet and a TAP no lab directory names", { tags: ['root', 'net'], timeout: 120_000 }, async (ctx) => {
    await withWorld(ctx, async (world) => {
      const shared = await startSharedNetdProcess({ socketPath: world.socketPath, netns: world.netns });
      world.stop = async () => void (await shared.stop());
      const client = clientOf(world.socketPath);
      const crashed = labLinkNames(randomUUID());
      const running = labLinkNames(randomUUID());
      await fs.mkdir(path.join(world.stateDir, `lab_${crashed.labId}`), { recursive: true });
      await client.alloc(crashed.labId);
      await client.alloc(running.labId);

      expect(await world.run(['--dry-run'])).toBe(0);
      const plan = world.take();
      expect(plan).toContain(`${crashed.tap}  owner lab ${crashed.labId} (no alias: named for its lab dir, listed by microvm-netd)  [through microvm-netd]`);
      expect(plan).toContain('shared-bridge design: release deletes only the TAP');
      expect(plan).toContain('bridge br-octonet: the shared bridge');
      expect(plan).toContain(`link ${running.tap}: microvm-netd lists it, but no lab directory cleanup removes names it`);

      expect(await world.run([])).toBe(0);
      const text = world.take();
      expect(text).toContain(`[removed] deleted link ${crashed.tap} through microvm-netd (release_vm_net ${crashed.labId})`);
      expect(text).toMatch(/cleanup: 2 removed\n$/);
      expect(await labLinksIn(world.netns)).toEqual([running.tap]);
      expect((await readLinks(world.netns)).map((l) => l.ifname)).toContain('br-octonet');
      expect(await fs.readdir(world.stateDir)).toEqual([]);
      const stopped = await shared.stop();
      expect(stopped.stderr.split('\n').filter((line) => line.startsWith('op=release'))).toEqual(['op=release_vm_net']);
    });
  });
});
