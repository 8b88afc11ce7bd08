import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { execa } from 'execa';
import { withDir } from 'tmp-promise';
import { describe, expect, it, type TestContext } from 'vitest';
import { runCli } from '../../../lib/cli/main.ts';
import { createRealHost } from '../../../lib/host/real-host.ts';
import { renderHelloInit } from '../../../lib/provision/hello-init.ts';
import { buildHelloRootfs } from '../../../lib/provision/hello-rootfs.ts';
import { gate, requireRoot, requireTools } from '../../support/require.ts';

const TOOLS = ['busybox', 'mkfs.ext4', 'debugfs', 'e2fsck', 'unshare', 'chroot'];

function needs(ctx: TestContext): void {
  requireRoot(ctx);
  requireTools(ctx, 'image', TOOLS);
}

/** Runs one debugfs request on an image and returns its stdout. */
async function debugfs(image: string, request: string): Promise<string> {
  return (await execa('debugfs', ['-R', request, image])).stdout;
}

/**
 * Runs `argv` inside a chroot of `root` in NEW pid and mount namespaces, where the shell first
 * proves it is pid 1 of its own namespace. A `reboot -f` there ends only that namespace (its init
 * gets SIGHUP); this helper is the only way these tests run anything from the image.
 */
function inOwnPidNamespace(root: string, script: string) {
  return execa('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', 'chroot', root, '/bin/busybox', 'sh', '-c', `test $$ = 1 || exit 99; ${script}`], { reject: false });
}

describe('the hello rootfs (built on this host)', () => {
  it('holds a static busybox, /bin/sh, the init, console device nodes, root ownership, and passes e2fsck', { tags: ['root', 'image'] }, async (ctx) => {
    needs(ctx);
    await withDir(
      async ({ path: dir }) => {
        const out = path.join(dir, 'hello-rootfs.ext4');
        const result = await buildHelloRootfs({ host: createRealHost(), out });
        expect(result).toMatchObject({ built: true, path: out, marker: 'Hello, World!' });
        expect(await debugfs(out, 'cat /sbin/init')).toBe(renderHelloInit('Hello, World!').trimEnd());
        const init = await debugfs(out, 'stat /sbin/init');
        expect(init).toMatch(/Type: regular\s+Mode:\s+0755/);
        expect(init).toMatch(/User:\s+0\s+Group:\s+0/);
        expect(await debugfs(out, 'stat /bin/sh')).toMatch(/Type: symlink[\s\S]*Fast link dest: "busybox"/);
        const busybox = await debugfs(out, 'stat /bin/busybox');
        expect(busybox).toMatch(new RegExp(`Size: ${(await fs.stat(result.busybox)).size}\\b`));
        expect(await debugfs(out, 'stat /dev/console')).toMatch(/Type: character special\s+Mode:\s+0600[\s\S]*Device major\/minor number: 05:01/);
        expect(await debugfs(out, 'ls /')).toMatch(/proc/);
        expect((await execa('e2fsck', ['-f', '-n', out], { reject: false })).exitCode).toBe(0);
        expect(await fs.readdir(dir)).toEqual(['hello-rootfs.ext4']);
      },
      { unsafeCleanup: true },
    );
  });

  it('is idempotent: a second build writes nothing, another marker rebuilds, a foreign file needs --force', { tags: ['root', 'image'] }, async (ctx) => {
    needs(ctx);
    await withDir(
      async ({ path: dir }) => {
        const host = createRealHost();
        const out = path.join(dir, 'hello.ext4');
        const first = await buildHelloRootfs({ host, out });
        const before = await fs.stat(out);
        const again = await buildHelloRootfs({ host, out });
        expect(again).toMatchObject({ built: false, fingerprint: first.fingerprint });
        expect((await fs.stat(out)).mtimeMs).toBe(before.mtimeMs);
        const login = await buildHelloRootfs({ host, out, marker: 'login:' });
        expect(login.built).toBe(true);
        expect(login.fingerprint).not.toBe(first.fingerprint);
        const foreign = path.join(dir, 'foreign.ext4');
        await fs.writeFile(foreign, 'not an image');
        await expect(buildHelloRootfs({ host, out: foreign })).rejects.toMatchObject({ code: 'IMAGE_EXISTS' });
        expect(await fs.readFile(foreign, 'utf8')).toBe('not an image');
        expect((await buildHelloRootfs({ host, out: foreign, force: true })).built).toBe(true);
        expect((await fs.readdir(dir)).sort()).toEqual(['foreign.ext4', 'hello.ext4']);
      },
      { unsafeCleanup: true },
    );
  });

  it('runs its init as pid 1 of new pid and mount namespaces: it prints exactly the marker, then its reboot ends the namespace', { tags: ['root', 'image'] }, async (ctx) => {
    needs(ctx);
    await withDir(
      async ({ path: dir }) => {
        const out = path.join(dir, 'hello.ext4');
        await buildHelloRootfs({ host: createRealHost(), out });
        const root = path.join(dir, 'root');
        await fs.mkdir(root);
        await execa('debugfs', ['-R', `rdump / ${root}`, out]);
        const probe = await inOwnPidNamespace(root, 'echo $$');
        // Root in a container without CAP_SYS_ADMIN may not make namespaces: that is a missing capability, not a broken image.
        gate(ctx, 'root', probe.exitCode !== 0 && /unshare failed|Operation not permitted/.test(probe.stderr) ? `cannot create pid and mount namespaces here: ${probe.stderr.trim()}` : null);
        expect({ code: probe.exitCode, stdout: probe.stdout }).toEqual({ code: 0, stdout: '1' });
        const boot = await inOwnPidNamespace(root, 'exec /sbin/init');
        expect(boot.stdout).toBe('Hello, World!');
        // reboot(2) in a child pid namespace kills its init; the namespace reports SIGHUP (restart).
        expect(boot.signal).toBe('SIGHUP');
      },
      { unsafeCleanup: true },
    );
  });

  it('is built by `octolab-verify image build --out`', { tags: ['root', 'image'] }, async (ctx) => {
    needs(ctx);
    await withDir(
      async ({ path: dir }) => {
        const out = path.join(dir, 'cli.ext4');
        let stdout = '';
        const sink = new Writable({ write: (chunk, _e, cb) => ((stdout += String(chunk)), cb()) });
        const code = await runCli({ argv: ['image', 'build', '--out', out], env: { PATH: process.env.PATH }, stdout: sink, stderr: sink, cwd: dir });
        expect(code).toBe(0);
        expect(stdout).toMatch(new RegExp(`^built ${out}\\n`));
        expect(stdout).toContain(`OCTOLAB_MICROVM_ROOTFS_BASE_PATH=${out} octolab-verify boot`);
      },
      { unsafeCleanup: true },
    );
  });
});
