import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { buildFakeArtifacts, fakeRelease } from '../../../fixtures/fake-artifacts/build-artifacts.ts';
import { startArtifactServer, type ArtifactServer } from '../../../fixtures/fake-artifacts/artifact-server.ts';
import { runRollbackCommand } from '../../../lib/cli/commands/rollback.ts';
import { runSetupCommand } from '../../../lib/cli/commands/setup.ts';
import { createDownloader } from '../../../lib/host/download.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { installLayout } from '../../../lib/provision/layout.ts';
import { LAUNCHER_PATH } from '../../../lib/package-paths.ts';
import { requireRoot, requireTools } from '../../support/require.ts';

const NOBODY = 65534;

async function groupExists(name: string): Promise<boolean> {
  return (await execa('getent', ['group', name], { reject: false })).exitCode === 0;
}

/** Puts the fake release tarball and kernel on the local server. */
function serveArtifacts(server: ArtifactServer) {
  const artifacts = buildFakeArtifacts();
  const release = fakeRelease(server.baseUrl, artifacts);
  server.files.set(new URL(release.url).pathname, { body: artifacts.tarball });
  server.files.set('/kernel/vmlinux-5.10.209', { body: artifacts.kernel });
  return { artifacts, release };
}

describe('octolab-verify setup on the real host, into a temporary root prefix', () => {
  it(
    'installs from the local server, builds the hello rootfs, creates the group and state dir, runs the doctor, reruns without downloading, and rolls back',
    { tags: ['root', 'users', 'image', 'slow'], timeout: 240_000 },
    async (ctx) => {
      requireRoot(ctx);
      requireTools(ctx, 'image', ['busybox', 'mkfs.ext4', 'debugfs', 'e2fsck']);
      // setup creates the socket group (groupadd); the test removes it (groupdel).
      requireTools(ctx, 'users', ['groupadd', 'groupdel']);
      const group = `ovtsetup${randomBytes(3).toString('hex')}`;
      const temp = await dir({ unsafeCleanup: true });
      const server = await startArtifactServer();
      try {
        // The doctor judges access as the sudo user (nobody here): every parent must be traversable.
        await fs.chmod(temp.path, 0o755);
        const { artifacts, release } = serveArtifacts(server);
        const repo = path.join(temp.path, 'repo');
        await fs.mkdir(path.join(repo, 'backend'), { recursive: true, mode: 0o755 });
        const envFile = path.join(repo, 'backend/.env.local');
        await fs.writeFile(envFile, 'DATABASE_URL=postgres://db\n# BEGIN OCTOLAB_MICROVM\nOCTOLAB_RUNTIME=firecracker\n# END OCTOLAB_MICROVM\n', { mode: 0o640 });
        const prefix = path.join(temp.path, 'root');
        const layout = installLayout(prefix);
        const out: string[] = [];
        const io: CliIo = {
          argv: [],
          env: { PATH: process.env.PATH, SUDO_UID: String(NOBODY), SUDO_GID: String(NOBODY) },
          cwd: repo,
          stdout: { write: (t: string) => out.push(t) } as never,
          stderr: { write: (t: string) => out.push(t) } as never,
        };
        const args = ['--prefix', prefix, '--group', group, '--kernel-url', server.url('/kernel/vmlinux-5.10.209'), '--kernel-sha256', artifacts.kernelSha256];
        // The server is on loopback: no proxy from the environment may stand in between.
        const setup = () => runSetupCommand(io, args, { release, downloader: createDownloader({ useEnvProxy: false }) });

        const code = await setup();
        const text = out.join('');
        expect(text).toMatch(/\[done\] firecracker .*tarball sha256 verified/);
        expect(text).toMatch(/\[done\] rootfs +built /);
        expect(text).toMatch(new RegExp(`\\[done\\] group +created group ${group}`));
        expect(text).toContain(`firecracker: Firecracker v1.7.0 (${layout.firecrackerBin})`);
        expect(text).toMatch(/state_dir writable/);
        expect(text).toMatch(/rootfs valid ext4 image/); // the doctor accepts the image setup built
        expect([0, 2]).toContain(code); // the doctor's verdict: netd and KVM depend on this machine
        expect(await groupExists(group)).toBe(true);
        const state = await fs.stat(layout.stateDir);
        expect([state.uid, state.gid, state.mode & 0o777]).toEqual([NOBODY, NOBODY, 0o700]);
        expect((await execa(layout.firecrackerBin, ['--version'])).stdout.split('\n')[0]).toBe('Firecracker v1.7.0');
        const { stdout: stamp } = await execa('debugfs', ['-R', 'cat /etc/octolab-hello', layout.rootfs]);
        expect(stamp).toContain('marker="Hello, World!"');
        const env = await fs.readFile(envFile, 'utf8');
        expect(env).not.toContain('# BEGIN OCTOLAB_MICROVM');
        expect(env).toContain(`OCTOLAB_NETD_GROUP=${group}\n`);
        expect((await fs.stat(envFile)).mode & 0o777).toBe(0o640);

        const requestsBefore = new Map(server.requests);
        out.length = 0;
        expect(await setup()).toBe(code);
        expect(server.requests).toEqual(requestsBefore);
        expect(out.join('')).toMatch(/\[ok  \] rootfs +.*already this hello image/);
        expect(out.join('')).toMatch(/\[ok  \] group +group .* exists/);
        expect(await fs.readlink(path.join(layout.binDir, 'octolab-verify'))).toBe(LAUNCHER_PATH);

        out.length = 0;
        expect(await runRollbackCommand(io, ['--env-file', envFile, '--prefix', prefix, '--remove-assets', '--remove-binaries'])).toBe(0);
        expect(await fs.readFile(envFile, 'utf8')).toBe('DATABASE_URL=postgres://db\n\nOCTOLAB_RUNTIME=compose\n');
        expect(await fs.readdir(path.join(prefix, 'usr/local/bin'))).toEqual([]);
        expect(await fs.readdir(path.join(prefix, 'var/lib/octolab'))).toEqual([]);
      } finally {
        await execa('groupdel', [group], { reject: false });
        await server.close();
        await temp.cleanup();
      }
      expect(await groupExists(group)).toBe(false);
    },
  );

  it(
    "after setup, the doctor's netd hint runs as printed: by hand where systemd does not run, and through systemctl where it does (a fake systemctl on PATH)",
    { tags: ['root', 'users', 'slow'], timeout: 240_000 },
    async (ctx) => {
      requireRoot(ctx);
      requireTools(ctx, 'users', ['groupadd', 'groupdel']);
      const group = `ovthint${randomBytes(3).toString('hex')}`;
      const temp = await dir({ unsafeCleanup: true });
      const server = await startArtifactServer();
      let netd: ReturnType<typeof spawn> | null = null;
      try {
        await fs.chmod(temp.path, 0o755);
        const { artifacts, release } = serveArtifacts(server);
        const repo = path.join(temp.path, 'repo');
        await fs.mkdir(path.join(repo, 'backend'), { recursive: true });
        // A socket of the test's own: the hints must carry it, and nothing touches /run/octolab.
        const socket = path.join(temp.path, 'run', 'netd.sock');
        const fakeBin = path.join(temp.path, 'fake-bin');
        const systemctlLog = path.join(temp.path, 'systemctl.log');
        await fs.mkdir(fakeBin);
        await fs.writeFile(path.join(fakeBin, 'systemctl'), `#!/bin/sh\necho "$*" >> '${systemctlLog}'\n`, { mode: 0o755 });

        const setupIn = async (prefix: string, PATH: string) => {
          const out: string[] = [];
          const io: CliIo = {
            argv: [],
            env: { PATH, OCTOLAB_MICROVM_NETD_SOCK: socket },
            cwd: repo,
            stdout: { write: (t: string) => out.push(t) } as never,
            stderr: { write: (t: string) => out.push(t) } as never,
          };
          const args = ['--prefix', prefix, '--group', group, '--skip-rootfs', '--kernel-url', server.url('/kernel/vmlinux-5.10.209'), '--kernel-sha256', artifacts.kernelSha256];
          const code = await runSetupCommand(io, args, { release, downloader: createDownloader({ useEnvProxy: false }) });
          return { code, text: out.join(''), io };
        };
        /** Every `command` in the text that starts with `first`, as printed. */
        const printed = (text: string, first: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((cmd) => cmd.startsWith(`${first} `));

        // 1. No systemd under the prefix (as in this container, or WSL without systemd).
        const byHandPrefix = path.join(temp.path, 'root-by-hand');
        const byHandPath = `${path.join(byHandPrefix, 'usr/local/bin')}:${process.env.PATH}`;
        const byHand = await setupIn(byHandPrefix, byHandPath);
        expect(byHand.text).toContain(`[skip] netd         microvm-netd is not installed as a service: systemd does not run here, so start it by hand: \`octolab-verify netd serve --socket ${socket} --group ${group}\``);
        expect(byHand.text).toMatch(/FAIL {2}netd {9}netd socket not found/);
        const serve = printed(byHand.text, 'octolab-verify netd serve')[0];
        expect(serve).toBe(`octolab-verify netd serve --socket ${socket} --group ${group}`);
        // Run it as printed: words split at spaces, no shell; octolab-verify is the link setup made.
        const [file, ...args] = serve!.split(' ');
        netd = spawn(file!, args, { env: { PATH: byHandPath }, stdio: ['ignore', 'ignore', 'pipe'] });
        await new Promise<void>((resolve, reject) => {
          let log = '';
          netd!.stderr!.on('data', (chunk: Buffer) => {
            log += chunk.toString();
            if (log.includes('[netd] ready')) resolve();
          });
          netd!.once('exit', (code) => reject(new Error(`netd serve exited ${code} before it was ready: ${log}`)));
        });
        const doctor = await execa('octolab-verify', ['doctor', '--json'], { cwd: repo, env: { PATH: byHandPath }, extendEnv: false, reject: false });
        const netdCheck = JSON.parse(doctor.stdout).checks.find((c: { name: string }) => c.name === 'netd');
        expect(netdCheck).toMatchObject({ ok: true });
        netd.kill('SIGTERM');
        expect(await new Promise((resolve) => netd!.once('exit', resolve))).toBe(0);
        netd = null;
        await expect(fs.lstat(socket)).rejects.toMatchObject({ code: 'ENOENT' });

        // 2. systemd under the prefix: setup installs the unit and drives systemctl (a fake here).
        const unitPrefix = path.join(temp.path, 'root-systemd');
        await fs.mkdir(path.join(unitPrefix, 'run/systemd/system'), { recursive: true });
        const unitPath = `${fakeBin}:${path.join(unitPrefix, 'usr/local/bin')}:${process.env.PATH}`;
        const withUnit = await setupIn(unitPrefix, unitPath);
        const unitFile = path.join(unitPrefix, 'etc/systemd/system/microvm-netd.service');
        const unit = await fs.readFile(unitFile, 'utf8');
        expect(unit).toContain(`ExecStart=${process.execPath} ${path.join(unitPrefix, 'usr/local/bin/octolab-verify')} netd serve --socket ${socket} --group ${group}\n`);
        expect(unit).toContain(`ExecStartPre=+/usr/bin/install -d -m 0750 -o root -g ${group} ${path.dirname(socket)}\n`);
        expect((await fs.readFile(systemctlLog, 'utf8')).split('\n')).toEqual(['daemon-reload', 'enable microvm-netd.service', 'restart microvm-netd.service', '']);
        expect(withUnit.text).toMatch(/\[done\] netd +installed .*microvm-netd\.service; enabled and restarted microvm-netd\.service/);
        const start = printed(withUnit.text, 'systemctl start');
        expect(start).toEqual(['systemctl start microvm-netd']);
        await execa(start[0]!.split(' ')[0]!, start[0]!.split(' ').slice(1), { env: { PATH: unitPath }, extendEnv: false });
        expect(await fs.readFile(systemctlLog, 'utf8')).toMatch(/\nstart microvm-netd\n$/);

        // Rollback stops, disables and removes the unit and the link, and reloads systemd.
        const rollbackIo: CliIo = { ...withUnit.io, stdout: { write: () => true } as never };
        expect(await runRollbackCommand(rollbackIo, ['--prefix', unitPrefix, '--dotenv', path.join(repo, 'backend/.env.local')])).toBe(0);
        expect((await fs.readFile(systemctlLog, 'utf8')).split('\n').slice(-3)).toEqual(['disable --now microvm-netd.service', 'daemon-reload', '']);
        await expect(fs.lstat(unitFile)).rejects.toMatchObject({ code: 'ENOENT' });
        await expect(fs.lstat(path.join(unitPrefix, 'usr/local/bin/octolab-verify'))).rejects.toMatchObject({ code: 'ENOENT' });
      } finally {
        netd?.kill('SIGKILL');
        await execa('groupdel', [group], { reject: false });
        await server.close();
        await temp.cleanup();
      }
    },
  );
});

