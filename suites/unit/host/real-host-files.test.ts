import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { createRealHost } from '../../../lib/host/index.ts';
import { HostError } from '../../../lib/errors.ts';

// The real host's file probes on real temporary files (no root needed).
describe('the real host file probes', () => {
  const host = createRealHost();

  it('stats kinds and permission bits, and reads byte ranges', async () => {
    await withDir(
      async ({ path: dir }) => {
        const file = path.join(dir, 'image');
        await writeFile(file, Buffer.from('0123456789'));
        await chmod(file, 0o640);
        await symlink(file, path.join(dir, 'link'));
        expect(await host.fs.stat(file)).toMatchObject({ kind: 'file', mode: 0o640, size: 10 });
        expect((await host.fs.lstat(path.join(dir, 'link'))).kind).toBe('symlink');
        expect((await host.fs.stat(dir)).kind).toBe('directory');
        expect((await host.fs.readBytes(file, 3, 4)).toString()).toBe('3456');
        expect((await host.fs.readBytes(file, 8, 10)).toString()).toBe('89');
      },
      { unsafeCleanup: true },
    );
  });

  it('throws a HostError carrying ENOENT for a missing path, and exists() says false', async () => {
    const error = await host.fs.stat('/nonexistent/octolab').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostError);
    expect((error as HostError).errno).toBe('ENOENT');
    expect(await host.fs.exists('/nonexistent/octolab')).toBe(false);
  });

  it('proves a directory writable with a probe file it removes again, and never reuses an existing file', async () => {
    await withDir(
      async ({ path: dir }) => {
        await host.fs.writeProbe(dir, '.doctor_write_test');
        expect(await host.fs.exists(path.join(dir, '.doctor_write_test'))).toBe(false);
        await mkdir(path.join(dir, 'taken'));
        const error = await host.fs.writeProbe(dir, 'taken').catch((e: unknown) => e);
        expect((error as HostError).errno).toBe('EEXIST');
        expect(await host.fs.exists(path.join(dir, 'taken'))).toBe(true);
      },
      { unsafeCleanup: true },
    );
  });

  it('runs commands with argument arrays and reports exit codes, timeouts and missing programs', async () => {
    const ok = await host.proc.run('node', ['-e', 'process.stdout.write(process.argv[1]); process.exit(3)', "a b; $(rm -rf /) 'c'"], { timeoutMs: 10_000 });
    expect(ok.exitCode).toBe(3);
    expect(ok.stdout).toBe("a b; $(rm -rf /) 'c'");
    const slow = await host.proc.run('node', ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 200 });
    expect(slow.timedOut).toBe(true);
    const missing = await host.proc.run('octolab-no-such-program', [], { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect((missing as HostError).errno).toBe('ENOENT');
    expect(await host.proc.which('node')).toMatch(/\/node$/);
    expect(await host.proc.which('octolab-no-such-program')).toBeNull();
  });
});
