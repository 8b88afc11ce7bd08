import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { firecrackerArgs, labIdOfDirName, labPaths } from '../../../lib/firecracker/lab-layout.ts';
import { instanceIdProblem, resourceIdProblem } from '../../../lib/firecracker/resource-ids.ts';
import { createRealLabFs } from '../../../lib/host/vmm/real-lab-fs.ts';
import { copyRootfs, dataRuns } from '../../../lib/host/vmm/rootfs-copy.ts';
import { checkInstanceId } from '../../../fixtures/fake-firecracker/fc-args.ts';
import { checkResourceId } from '../../../fixtures/fake-firecracker/api-routes.ts';

const LAB = '0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const inTemp = (fn: (dir: string) => Promise<void>) => withDir(({ path: dir }) => fn(dir), { unsafeCleanup: true });
const sha = async (file: string) => createHash('sha256').update(await fs.readFile(file)).digest('hex');

describe('the lab directory contract', () => {
  it('lays out lab_<uuid>/ with the socket, logs, rootfs copy and pid file, and the --id lab-<uuid>', () => {
    const paths = labPaths('/var/lib/octolab/microvm', LAB);
    expect(paths).toEqual({
      labId: LAB,
      instanceId: `lab-${LAB}`,
      dir: `/var/lib/octolab/microvm/lab_${LAB}`,
      socket: `/var/lib/octolab/microvm/lab_${LAB}/firecracker.sock`,
      log: `/var/lib/octolab/microvm/lab_${LAB}/firecracker.log`,
      serial: `/var/lib/octolab/microvm/lab_${LAB}/serial.log`,
      stderr: `/var/lib/octolab/microvm/lab_${LAB}/firecracker.stderr`,
      rootfs: `/var/lib/octolab/microvm/lab_${LAB}/rootfs.ext4`,
      pidFile: `/var/lib/octolab/microvm/lab_${LAB}/firecracker.pid`,
    });
    expect(firecrackerArgs(paths, ['--', '--fake-mode', 'hold'])).toEqual(['--api-sock', paths.socket, '--id', `lab-${LAB}`, '--', '--fake-mode', 'hold']);
    expect(labIdOfDirName(`lab_${LAB}`)).toBe(LAB);
    expect(labIdOfDirName('lab_not-a-uuid')).toBeNull();
    expect(labIdOfDirName(`verify-${LAB}`)).toBeNull();
  });

  it('refuses a lab id that is not a lower-case UUID', () => {
    expect(() => labPaths('/s', LAB.toUpperCase())).toThrow(/lower-case UUID/);
    expect(() => labPaths('/s', '../x')).toThrow(/lower-case UUID/);
  });

  it('makes an --id that Firecracker accepts, under both its rules and the fake’s', () => {
    const { instanceId } = labPaths('/s', LAB);
    expect(instanceIdProblem(instanceId)).toBeNull();
    expect(checkInstanceId(instanceId)).toBeNull();
    expect(instanceIdProblem(`lab_${LAB}`)).toMatch(/only alphanumeric/);
    expect(checkInstanceId(`lab_${LAB}`)).toBe('Invalid char (_) at position 3');
    expect(checkInstanceId('x'.repeat(65))).toBe('Invalid len (65);  the length must be between 1 and 64');
  });

  it.each(['rootfs', 'eth0', 'drive_2', 'ü1'])('accepts the resource id %s like Firecracker', (id) => {
    expect(resourceIdProblem(id)).toBeNull();
    expect(checkResourceId(id)).toBeNull();
  });

  it.each(['root-fs', 'a b', 'x/y', ''])('refuses the resource id %j like Firecracker', (id) => {
    expect(resourceIdProblem(id)).toBe(checkResourceId(id));
    expect(resourceIdProblem(id)).not.toBeNull();
  });
});

describe('copying the base rootfs', () => {
  it('copies content exactly, keeps holes as holes, and never changes the base', async () => {
    await inTemp(async (dir) => {
      const base = path.join(dir, 'base.ext4');
      const handle = await fs.open(base, 'w');
      await handle.write(Buffer.from('superblock'), 0, 10, 1024);
      await handle.write(Buffer.alloc(70_000, 7), 0, 70_000, 8 * 1024 * 1024);
      await handle.truncate(32 * 1024 * 1024);
      await handle.close();
      const before = { hash: await sha(base), mtime: (await fs.stat(base)).mtimeMs };
      const copy = path.join(dir, 'copy.ext4');
      const method = await copyRootfs(base, copy);
      expect(['reflink', 'sparse-copy']).toContain(method);
      expect(await sha(copy)).toBe(before.hash);
      expect((await fs.stat(copy)).size).toBe(32 * 1024 * 1024);
      // 32 MiB apparent, well under 1 MiB allocated: the holes stayed holes.
      expect((await fs.stat(copy)).blocks * 512).toBeLessThan(1024 * 1024);
      expect({ hash: await sha(base), mtime: (await fs.stat(base)).mtimeMs }).toEqual(before);
      expect((await fs.stat(copy)).mode & 0o777).toBe(method === 'reflink' ? (await fs.stat(base)).mode & 0o777 : 0o600);
    });
  });

  it('writes each run of data blocks in one piece and skips all-zero 64 KiB blocks', () => {
    const K64 = 64 * 1024;
    const image = Buffer.alloc(5 * K64 + 100);
    image[10] = 1; // block 0
    image[K64 + K64 - 1] = 1; // block 1, its last byte: joins block 0
    image[3 * K64] = 1; // block 3, after the all-zero block 2
    image[5 * K64 + 99] = 1; // the short last block
    expect(dataRuns(image)).toEqual([
      [0, 2 * K64],
      [3 * K64, 4 * K64],
      [5 * K64, 5 * K64 + 100],
    ]);
    expect(dataRuns(Buffer.alloc(3 * K64))).toEqual([]);
  });

  it('refuses to overwrite an existing target and leaves it untouched', async () => {
    await inTemp(async (dir) => {
      const base = path.join(dir, 'base');
      const target = path.join(dir, 'target');
      await fs.writeFile(base, 'base');
      await fs.writeFile(target, 'mine');
      await expect(copyRootfs(base, target)).rejects.toMatchObject({ code: 'EEXIST' });
      expect(await fs.readFile(target, 'utf8')).toBe('mine');
    });
  });

  it('fails on a missing base without leaving a partial copy', async () => {
    await inTemp(async (dir) => {
      const target = path.join(dir, 'target');
      await expect(copyRootfs(path.join(dir, 'nope'), target)).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(fs.lstat(target)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });
});

describe('the real LabFs', () => {
  it('creates the lab dir 0700 (exclusively), writes the pid file atomically, tails and removes', async () => {
    await inTemp(async (dir) => {
      const files = createRealLabFs();
      const lab = path.join(dir, 'lab');
      await files.createDir(lab);
      expect((await fs.stat(lab)).mode & 0o777).toBe(0o700);
      await expect(files.createDir(lab)).rejects.toMatchObject({ code: 'EEXIST' });
      await files.writeFileAtomic(path.join(lab, 'firecracker.pid'), '42\n');
      expect(await fs.readdir(lab)).toEqual(['firecracker.pid']);
      const serial = path.join(lab, 'serial.log');
      await fs.writeFile(serial, 'first\n');
      const seen: string[] = [];
      const tail = await files.tail(serial, (bytes) => seen.push(bytes.toString()));
      await fs.appendFile(serial, 'second\n');
      await tail.drain();
      await tail.close();
      expect(seen.join('')).toBe('first\nsecond\n');
      expect(await files.readTail(serial, 7)).toBe('second\n');
      expect(await files.readTail(path.join(lab, 'absent'), 10)).toBe('');
      await files.removeFile(path.join(lab, 'absent'));
      await files.removeDir(lab);
      await expect(fs.lstat(lab)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  it('waits for a socket that is created later and accepts connections, woken by the directory watch', async () => {
    await inTemp(async (dir) => {
      const files = createRealLabFs();
      const socket = path.join(dir, 'api.sock');
      const { createServer } = await import('node:net');
      const server = createServer();
      const waiting = files.waitForSocket(socket, AbortSignal.timeout(10_000));
      setTimeout(() => server.listen(socket), 30);
      await waiting;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
  });

  it('gives up waiting with the signal’s reason', async () => {
    await inTemp(async (dir) => {
      const controller = new AbortController();
      const waiting = createRealLabFs().waitForSocket(path.join(dir, 'never.sock'), controller.signal);
      controller.abort(new Error('deadline'));
      await expect(waiting).rejects.toThrow('deadline');
    });
  });
});
