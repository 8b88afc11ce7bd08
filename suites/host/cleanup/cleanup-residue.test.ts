import { randomBytes, randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { runCleanupCommand } from '../../../lib/cli/commands/cleanup.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { createIpLinks } from '../../../lib/host/ip-links.ts';
import { createRealHost } from '../../../lib/host/real-host.ts';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { requireRoot, requireTools } from '../../support/require.ts';

/** A tiny "firecracker": listens on the --api-sock path it was given, and waits. */
const FAKE_VMM = "const i=process.argv.indexOf('--api-sock');require('net').createServer().listen(process.argv[i+1]);setInterval(()=>{},1e6)";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function linkNames(netns: string): Promise<string[]> {
  const { stdout } = await execa('ip', ['-n', netns, '-j', 'link', 'show']);
  return (JSON.parse(stdout) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
}

describe('octolab-verify cleanup on the real host', () => {
  it(
    'finds and removes a lab process, its lab dir with the socket, and its aliased links in a namespace — and nothing else',
    { tags: ['root', 'net', 'slow'], timeout: 120_000 },
    async (ctx) => {
      requireRoot(ctx);
      requireTools(ctx, 'net', ['ip']);
      const netns = `ovc-${randomBytes(4).toString('hex')}`;
      const temp = await dir({ unsafeCleanup: true });
      const children: ChildProcess[] = [];
      try {
        await execa('ip', ['netns', 'add', netns]);
        const stateDir = path.join(temp.path, 'microvm');
        const lab = labLinkNames(randomUUID());
        const labDir = path.join(stateDir, `lab_${lab.labId}`);
        const socket = path.join(labDir, 'firecracker.sock');
        await fs.mkdir(labDir, { recursive: true, mode: 0o700 });
        const foreignDir = path.join(stateDir, 'verify-1700000000');
        await fs.mkdir(foreignDir);

        // The lab's residue: a process started with --api-sock inside the lab dir, its pidfile, its links.
        const vmm = spawn(process.execPath, ['-e', FAKE_VMM, '--', '--api-sock', socket, '--id', `lab-${lab.labId}`], { stdio: 'ignore', detached: true });
        children.push(vmm);
        await fs.writeFile(path.join(labDir, 'firecracker.pid'), `${vmm.pid}\n`);
        await waitFor(() => fs.lstat(socket).then((s) => s.isSocket(), () => false), 'the fake VMM socket');
        const batch = [
          `link add ${lab.bridge} type bridge`,
          `link set dev ${lab.bridge} alias ${lab.alias}`,
          `tuntap add dev ${lab.tap} mode tap`,
          `link set dev ${lab.tap} alias ${lab.alias}`,
          `link set dev ${lab.tap} master ${lab.bridge}`,
          // Decoys: an otp link without an owner record, and one whose alias names another lab.
          'tuntap add dev otp0123456789 mode tap',
          'tuntap add dev otpabcdefabcd mode tap',
          `link set dev otpabcdefabcd alias ${lab.alias}`,
        ];
        await execa('ip', ['-n', netns, '-batch', '-'], { input: `${batch.join('\n')}\n` });

        // Decoy processes: "firecracker" by name, and one whose --api-sock is outside the state dir.
        const byName = spawn('bash', ['-c', 'exec -a firecracker sleep 600'], { stdio: 'ignore', detached: true });
        const elsewhere = spawn(process.execPath, ['-e', FAKE_VMM, '--', '--api-sock', path.join(temp.path, 'firecracker.sock')], { stdio: 'ignore', detached: true });
        children.push(byName, elsewhere);
        await waitFor(() => fs.lstat(path.join(temp.path, 'firecracker.sock')).then(() => true, () => false), 'the decoy socket');

        const out: string[] = [];
        // No microvm-netd on this socket: the links are deleted directly (a daemon of the machine is never asked).
        const env = { PATH: process.env.PATH, OCTOLAB_MICROVM_NETD_SOCK: path.join(temp.path, 'no-netd.sock') };
        const io: CliIo = { argv: [], env, cwd: temp.path, stdout: { write: (t: string) => out.push(t) } as never, stderr: { write: (t: string) => out.push(t) } as never };
        const host = createRealHost();
        // Search only the test's namespace: other suites on this machine may hold lab links elsewhere.
        const deps = { host, linksIn: () => createIpLinks({ proc: host.proc, netns }) };
        const run = (extra: string[]) => runCleanupCommand(io, ['--state-dir', stateDir, ...extra], deps);

        expect(await run(['--dry-run'])).toBe(0);
        expect(out.join('')).toMatch(/would remove 4 item\(s\)/);
        expect(out.join('')).toMatch(/links: would delete them directly with ip: microvm-netd at \S+no-netd\.sock does not answer \(.*ENOENT\)/);
        expect(alive(vmm.pid!)).toBe(true);
        expect(await linkNames(netns)).toContain(lab.tap);

        out.length = 0;
        expect(await run([])).toBe(0);
        expect(out.join('')).toMatch(/cleanup: 4 removed\n$/);
        expect(out.join('')).toContain(`[removed] deleted link ${lab.tap} directly with ip`);
        await waitFor(() => !alive(vmm.pid!) || vmm.exitCode !== null || vmm.signalCode !== null, 'the lab process to end');
        expect(vmm.signalCode).toBe('SIGTERM');
        expect(alive(byName.pid!) && alive(elsewhere.pid!)).toBe(true);
        expect(await fs.readdir(stateDir)).toEqual(['verify-1700000000']);
        expect(await linkNames(netns)).toEqual(['lo', 'otp0123456789', 'otpabcdefabcd']);
      } finally {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await execa('ip', ['netns', 'delete', netns], { reject: false });
        await temp.cleanup();
      }
      expect((await execa('ip', ['netns', 'list'])).stdout).not.toContain(netns);
    },
  );
});
