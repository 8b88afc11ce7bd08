import { chmodSync, type Dirent, closeSync, constants, mkdirSync, openSync, promises as fs, renameSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errnoOf } from '../../errors.ts';
import { randomBytesSync } from '../random-id.ts';
import type { LabFs } from '../../firecracker/lab-fs.ts';
import { tailFile } from './file-tail.ts';
import { copyRootfs } from './rootfs-copy.ts';
import { waitForSocket } from './wait-for-socket.ts';

/**
 * Returns the LabFs of this machine (node:fs): the boot pipeline's default `files`.
 *
 * The small operations (mkdir, an empty file, the pid file, unlinking the socket) are one or two
 * syscalls each in a local directory and run synchronously: an asynchronous call is a round trip
 * through libuv's thread pool, which on a loaded 2-core machine costs milliseconds, and these lie on
 * the boot's path before firecracker starts. The copy, the tail, the socket wait and removing the
 * whole lab directory stay asynchronous.
 */
export function createRealLabFs(): LabFs {
  return {
    createDir: async (dir) => {
      mkdirSync(dir, { mode: 0o700 });
      try {
        chmodSync(dir, 0o700); // whatever the umask
      } catch (error) {
        try {
          rmdirSync(dir); // ours, and still empty: not left half-made
        } catch {
          // the chmod error is the one to report
        }
        throw error;
      }
    },
    createEmptyFile: async (file) => {
      closeSync(openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
    },
    writeFileAtomic: async (file, text) => {
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytesSync(4).toString('hex')}.tmp`);
      try {
        writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
        renameSync(temp, file);
      } catch (error) {
        rmSync(temp, { force: true });
        throw error;
      }
    },
    copyRootfs,
    removeFile: async (file) => {
      try {
        unlinkSync(file);
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw error;
      }
    },
    removeDir: removeLabDir,
    waitForSocket,
    tail: tailFile,
    readTail: async (file, maxBytes) => {
      let handle: fs.FileHandle | undefined;
      try {
        handle = await fs.open(file, 'r');
        const { size } = await handle.stat();
        const length = Math.min(size, maxBytes);
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, size - length);
        return buffer.toString('utf8');
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return '';
        throw error;
      } finally {
        await handle?.close();
      }
    },
  };
}

/**
 * Removes a lab directory: its files unlinked at once, then the directory (three rounds through
 * the thread pool where fs.rm's recursive walk takes one per file, and a lab holds half a dozen);
 * anything else in it (a subdirectory, a file appearing meanwhile) goes to fs.rm's walk.
 */
async function removeLabDir(dir: string): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return;
    throw error;
  }
  const unlink = (name: string) =>
    fs.unlink(path.join(dir, name)).catch((error: unknown) => {
      if (errnoOf(error) !== 'ENOENT') throw error;
    });
  await Promise.all(entries.filter((entry) => !entry.isDirectory()).map((entry) => unlink(entry.name)));
  try {
    await fs.rmdir(dir);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return;
    if (errnoOf(error) !== 'ENOTEMPTY' && errnoOf(error) !== 'EEXIST') throw error;
    await fs.rm(dir, { recursive: true, force: true });
  }
}
