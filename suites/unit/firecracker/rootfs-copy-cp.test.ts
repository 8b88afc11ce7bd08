import { createHash } from 'node:crypto';
import { on } from 'node:events';
import { watch, promises as fs } from 'node:fs';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { copyWithCp } from '../../../lib/host/vmm/cp-sparse.ts';
import { copyRootfs } from '../../../lib/host/vmm/rootfs-copy.ts';

// Where the file system cannot reflink, the rootfs is copied by GNU cp (which reads only the
// image's data) and, where there is no such cp, by the block copy in Node. Stand-in cps are
// shell scripts: one that records its arguments and runs the real cp, one that fails as BusyBox's
// cp does on --sparse, one that hangs until killed.

const inTemp = (fn: (dir: string) => Promise<void>) => withDir(({ path: dir }) => fn(dir), { unsafeCleanup: true });
const sha = async (file: string) => createHash('sha256').update(await fs.readFile(file)).digest('hex');

/** A 32 MiB sparse image with data at 1 KiB and at 8 MiB. */
async function writeImage(file: string): Promise<void> {
  const handle = await fs.open(file, 'w');
  await handle.write(Buffer.from('superblock'), 0, 10, 1024);
  await handle.write(Buffer.alloc(70_000, 7), 0, 70_000, 8 * 1024 * 1024);
  await handle.truncate(32 * 1024 * 1024);
  await handle.close();
}

async function writeScript(dir: string, name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

describe('copying the rootfs with cp', () => {
  it('runs cp --sparse=always --reflink=never with the paths after --; the copy is exact, sparse and 0600', async () => {
    await inTemp(async (dir) => {
      const base = path.join(dir, '-base.ext4'); // a leading dash: only safe after --
      await writeImage(base);
      const log = path.join(dir, 'args');
      const cp = await writeScript(dir, 'cp', `printf '%s\\n' "$@" > '${log}'\nexec cp "$@"`);
      const target = path.join(dir, 'copy.ext4');
      expect(await copyWithCp(cp, base, target)).toEqual({ copied: true, why: null });
      expect((await fs.readFile(log, 'utf8')).split('\n').slice(0, -1)).toEqual(['--sparse=always', '--reflink=never', '--', base, target]);
      expect(await sha(target)).toBe(await sha(base));
      const stats = await fs.stat(target);
      expect(stats.size).toBe(32 * 1024 * 1024);
      expect(stats.blocks * 512).toBeLessThan(1024 * 1024);
      expect(stats.mode & 0o777).toBe(0o600);
    });
  });

  it('says why and removes the target when cp is missing or refuses, and copyRootfs then copies in Node', async () => {
    await inTemp(async (dir) => {
      const base = path.join(dir, 'base.ext4');
      await writeImage(base);
      const target = path.join(dir, 'copy.ext4');
      const missing = path.join(dir, 'no-such-cp');
      expect(await copyWithCp(missing, base, target)).toEqual({ copied: false, why: `${missing}: ENOENT` });
      await expect(fs.lstat(target)).rejects.toMatchObject({ code: 'ENOENT' });
      const busybox = await writeScript(dir, 'busybox-cp', `echo junk > "$5"\necho "cp: unrecognized option '--sparse=always'" >&2\nexit 1`);
      expect(await copyWithCp(busybox, base, target)).toEqual({ copied: false, why: `${busybox} exited 1: cp: unrecognized option '--sparse=always'` });
      await expect(fs.lstat(target)).rejects.toMatchObject({ code: 'ENOENT' });
      for (const cp of [missing, busybox, null]) {
        const method = await copyRootfs(base, target, undefined, { cp });
        expect(['reflink', 'sparse-copy']).toContain(method);
        expect(await sha(target)).toBe(await sha(base));
        expect((await fs.stat(target)).blocks * 512).toBeLessThan(1024 * 1024);
        await fs.rm(target);
      }
    });
  });

  it('refuses an existing target without running cp, and leaves it untouched', async () => {
    await inTemp(async (dir) => {
      const base = path.join(dir, 'base');
      await fs.writeFile(base, 'base');
      const target = path.join(dir, 'target');
      await fs.writeFile(target, 'mine');
      const ran = path.join(dir, 'ran');
      const cp = await writeScript(dir, 'cp', `touch '${ran}'\nexec cp "$@"`);
      await expect(copyWithCp(cp, base, target)).rejects.toMatchObject({ code: 'EEXIST' });
      expect(await fs.readFile(target, 'utf8')).toBe('mine');
      await expect(fs.lstat(ran)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  it('kills cp and removes the partial target when the signal aborts mid-copy', async () => {
    await inTemp(async (dir) => {
      const base = path.join(dir, 'base.ext4');
      await writeImage(base);
      const pidFile = path.join(dir, 'cp.pid');
      const cp = await writeScript(dir, 'hanging-cp', `echo partial > "$5"\necho $$ > '${pidFile}.tmp'\nmv '${pidFile}.tmp' '${pidFile}'\nexec sleep 600`);
      const target = path.join(dir, 'copy.ext4');
      const watcher = watch(dir);
      try {
        const controller = new AbortController();
        const events = on(watcher, 'change'); // buffers from here: no event is missed between the checks
        const copying = copyWithCp(cp, base, target, controller.signal);
        // Waits for the stand-in to say it runs (its pid file appears by rename), then aborts.
        while (!(await fs.stat(pidFile).catch(() => null))) await events.next();
        const pid = Number(await fs.readFile(pidFile, 'utf8'));
        controller.abort(new Error('boot interrupted'));
        await expect(copying).rejects.toThrow('boot interrupted');
        await expect(fs.lstat(target)).rejects.toMatchObject({ code: 'ENOENT' });
        expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
      } finally {
        watcher.close();
      }
    });
  });
});
