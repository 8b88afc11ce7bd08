import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { buildFakeArtifacts, fakeRelease } from '../../../fixtures/fake-artifacts/build-artifacts.ts';
import { startArtifactServer } from '../../../fixtures/fake-artifacts/artifact-server.ts';
import { runRollbackCommand } from '../../../lib/cli/commands/rollback.ts';
import { runSetupCommand } from '../../../lib/cli/commands/setup.ts';
import { createDownloader } from '../../../lib/host/download.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { installLayout } from '../../../lib/provision/layout.ts';
import { requireRoot, requireTools } from '../../support/require.ts';

const NOBODY = 65534;

async function groupExists(name: string): Promise<boolean> {
  return (await execa('getent', ['group', name], { reject: false })).exitCode === 0;
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
        const artifacts = buildFakeArtifacts();
        const release = fakeRelease(server.baseUrl, artifacts);
        server.files.set(new URL(release.url).pathname, { body: artifacts.tarball });
        server.files.set('/kernel/vmlinux-5.10.209', { body: artifacts.kernel });
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
});
