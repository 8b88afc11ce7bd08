import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { createRealLabFs } from '../../../lib/host/vmm/real-lab-fs.ts';

// The serial tail reads synchronously, at most 1 MiB per turn of the event loop, and the lab
// directory is removed by unlinking its files at once: both must still deliver every byte in order
// and remove everything, whatever the directory holds.

const inTemp = (fn: (dir: string) => Promise<void>) => withDir(({ path: dir }) => fn(dir), { unsafeCleanup: true });

describe('the real LabFs tail and lab removal', () => {
  it('delivers a file larger than one turn’s reading whole and in order, woken by appends, and lets timers run in between', async () => {
    await inTemp(async (dir) => {
      const serial = path.join(dir, 'serial.log');
      // 3 MiB of numbered lines: more than the 1 MiB a turn reads.
      const lines = Array.from({ length: 200_000 }, (_, i) => `line ${String(i).padStart(8, '0')}\n`).join('');
      await fs.writeFile(serial, lines);
      const chunks: Buffer[] = [];
      let received = 0;
      let waiter: { size: number; resolve: () => void } | null = null;
      const untilReceived = (size: number) => new Promise<void>((resolve) => (received >= size ? resolve() : (waiter = { size, resolve })));
      let timerRan = false;
      const afterTimer: boolean[] = [];
      setImmediate(() => (timerRan = true));
      const tail = await createRealLabFs().tail(serial, (bytes) => {
        chunks.push(bytes);
        afterTimer.push(timerRan);
        received += bytes.length;
        if (waiter && received >= waiter.size) waiter.resolve();
      });
      try {
        // The first turn read 1 MiB and left the rest for later turns, with an immediate set before running in between.
        expect(received).toBe(1024 * 1024);
        await untilReceived(lines.length);
        expect(afterTimer.at(-1)).toBe(true);
        expect(Buffer.concat(chunks).toString()).toBe(lines);
        // An append wakes the tail by the file's event, without a drain.
        const woken = untilReceived(lines.length + 14);
        await fs.appendFile(serial, 'Hello, World!\n');
        await woken;
        expect(Buffer.concat(chunks).toString()).toBe(`${lines}Hello, World!\n`);
        await tail.drain();
      } finally {
        await tail.close();
      }
      // Closed: nothing more arrives, and closing twice is fine.
      const total = Buffer.concat(chunks).length;
      await fs.appendFile(serial, 'after close\n');
      await tail.close();
      expect(Buffer.concat(chunks).length).toBe(total);
    });
  });

  it('removes a lab directory with files, a subdirectory and a socket; a missing one is fine', async () => {
    await inTemp(async (dir) => {
      const files = createRealLabFs();
      const lab = path.join(dir, 'lab_x');
      await files.createDir(lab);
      await fs.writeFile(path.join(lab, 'firecracker.log'), 'log');
      const sparse = await fs.open(path.join(lab, 'rootfs.ext4'), 'w');
      await sparse.truncate(64 * 1024 * 1024);
      await sparse.close();
      await fs.mkdir(path.join(lab, 'jail', 'root'), { recursive: true });
      await fs.writeFile(path.join(lab, 'jail', 'root', 'x'), 'x');
      const { createServer } = await import('node:net');
      const server = createServer().listen(path.join(lab, 'firecracker.sock'));
      await once(server, 'listening');
      await fs.symlink('/etc/hostname', path.join(lab, 'link'));
      try {
        await files.removeDir(lab);
      } finally {
        server.close();
      }
      await expect(fs.lstat(lab)).rejects.toMatchObject({ code: 'ENOENT' });
      // The symlink's target is untouched.
      await expect(fs.lstat('/etc/hostname')).resolves.toBeTruthy();
      await files.removeDir(lab);
    });
  });
});
