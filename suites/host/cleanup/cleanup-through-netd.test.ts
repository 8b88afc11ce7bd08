import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { runCleanupCommand } from '../../../lib/cli/commands/cleanup.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { createIpLinks } from '../../../lib/host/ip-links.ts';
import { createRealHost } from '../../../lib/host/real-host.ts';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { requireRoot, requireTools } from '../../support/require.ts';
import { clientOf, createNetns, deleteNetns, labLinksIn, netnsExists, readLinks, startDaemon, type InProcessDaemon } from '../netd/support.ts';
import { startSharedNetdProcess, type SharedNetdProcess } from '../../../fixtures/fake-shared-netd/spawn.ts';

describe('octolab-verify cleanup with microvm-netd running', () => {
  it(
    'releases a crashed lab\'s links through the daemon that serves the namespace (release_vm_net), and leaves what it does not own',
    { tags: ['root', 'net'], timeout: 120_000 },
    async (ctx) => {
      requireRoot(ctx);
      requireTools(ctx, 'net', ['ip']);
      const rootLinks = await labLinksIn(null);
      const netns = await createNetns();
      const temp = await dir({ unsafeCleanup: true });
      let running: InProcessDaemon | null = null;
      try {
        const socketPath = path.join(temp.path, 'run', 'microvm-netd.sock');
        running = await startDaemon({ netns, socketPath, tapOwner: 4242 });
        const stateDir = path.join(temp.path, 'microvm');
        const lab = labLinkNames(randomUUID());
        await fs.mkdir(path.join(stateDir, `lab_${lab.labId}`), { recursive: true });
        // The daemon made the crashed lab's devices; a bare TAP is a decoy.
        await running.client.alloc(lab.labId);
        await execa('ip', ['-n', netns, 'tuntap', 'add', 'dev', 'otp0123456789', 'mode', 'tap']);

        const out: string[] = [];
        const env = { PATH: process.env.PATH, OCTOLAB_MICROVM_NETD_SOCK: socketPath };
        const io: CliIo = { argv: [], env, cwd: temp.path, stdout: { write: (t: string) => out.push(t) } as never, stderr: { write: (t: string) => out.push(t) } as never };
        const host = createRealHost();
        // Cleanup's own namespace is the test's: the one the daemon serves.
        const deps = { host, linksIn: () => createIpLinks({ proc: host.proc, netns }) };
        const run = (extra: string[]) => runCleanupCommand(io, ['--state-dir', stateDir, ...extra], deps);

        expect(await run(['--dry-run'])).toBe(0);
        expect(out.join('')).toContain(`links: would release lab by lab through microvm-netd at ${socketPath} (release_vm_net; it answered hello and ping; per-lab design)`);
        expect(out.join('')).toContain(`${lab.tap}  owner ${lab.alias}  [through microvm-netd]`);
        expect(running.log.some((line) => line.startsWith('op=release_vm_net'))).toBe(false);

        out.length = 0;
        expect(await run([])).toBe(0);
        const text = out.join('');
        expect(text).toContain(`[removed] deleted link ${lab.bridge} through microvm-netd (release_vm_net ${lab.labId})`);
        expect(text).toContain(`[removed] deleted link ${lab.tap} through microvm-netd (release_vm_net ${lab.labId})`);
        expect(text).toMatch(/cleanup: 3 removed\n$/);
        expect(running.log.filter((line) => line.startsWith('op=release_vm_net')).map((line) => line.replace(/ duration_ms=.*$/, ''))).toEqual([
          `op=release_vm_net lab=${lab.labId} result=ok`,
        ]);
        expect(await labLinksIn(netns)).toEqual(['otp0123456789']);
        expect(await fs.readdir(stateDir)).toEqual([]);
      } finally {
        await running?.daemon.stop();
        await deleteNetns(netns);
        await temp.cleanup();
      }
      expect(await netnsExists(netns)).toBe(false);
      expect(await labLinksIn(null)).toEqual(rootLinks);
    },
  );

  it(
    'releases a crashed lab\'s TAP through a shared-bridge daemon (no owner records), and leaves br-octonet and a TAP no lab directory names',
    { tags: ['root', 'net'], timeout: 120_000 },
    async (ctx) => {
      requireRoot(ctx);
      requireTools(ctx, 'net', ['ip']);
      const rootLinks = await labLinksIn(null);
      const netns = await createNetns();
      const temp = await dir({ unsafeCleanup: true });
      let shared: SharedNetdProcess | null = null;
      try {
        await fs.mkdir(path.join(temp.path, 'run'));
        const socketPath = path.join(temp.path, 'run', 'microvm-netd.sock');
        shared = await startSharedNetdProcess({ socketPath, netns });
        const stateDir = path.join(temp.path, 'microvm');
        const crashed = labLinkNames(randomUUID());
        const running = labLinkNames(randomUUID());
        await fs.mkdir(path.join(stateDir, `lab_${crashed.labId}`), { recursive: true });
        const client = clientOf(socketPath);
        await client.alloc(crashed.labId);
        await client.alloc(running.labId);

        const out: string[] = [];
        const env = { PATH: process.env.PATH, OCTOLAB_MICROVM_NETD_SOCK: socketPath };
        const io: CliIo = { argv: [], env, cwd: temp.path, stdout: { write: (t: string) => out.push(t) } as never, stderr: { write: (t: string) => out.push(t) } as never };
        const host = createRealHost();
        const deps = { host, linksIn: () => createIpLinks({ proc: host.proc, netns }) };
        const run = (extra: string[]) => runCleanupCommand(io, ['--state-dir', stateDir, ...extra], deps);

        expect(await run(['--dry-run'])).toBe(0);
        const plan = out.join('');
        expect(plan).toContain(`${crashed.tap}  owner lab ${crashed.labId} (no alias: named for its lab dir, listed by microvm-netd)  [through microvm-netd]`);
        expect(plan).toContain('shared-bridge design: release deletes only the TAP');
        expect(plan).toContain('bridge br-octonet: the shared bridge');
        expect(plan).toContain(`link ${running.tap}: microvm-netd lists it, but no lab directory cleanup removes names it`);

        out.length = 0;
        expect(await run([])).toBe(0);
        const text = out.join('');
        expect(text).toContain(`[removed] deleted link ${crashed.tap} through microvm-netd (release_vm_net ${crashed.labId})`);
        expect(text).toMatch(/cleanup: 2 removed\n$/);
        expect(await labLinksIn(netns)).toEqual([running.tap]);
        expect((await readLinks(netns)).map((l) => l.ifname)).toContain('br-octonet');
        expect(await fs.readdir(stateDir)).toEqual([]);
        const stopped = await shared.stop();
        expect(stopped.stderr.split('\n').filter((line) => line.startsWith('op=release'))).toEqual(['op=release_vm_net']);
      } finally {
        await shared?.stop();
        await deleteNetns(netns);
        await temp.cleanup();
      }
      expect(await netnsExists(netns)).toBe(false);
      expect(await labLinksIn(null)).toEqual(rootLinks);
    },
  );
});
