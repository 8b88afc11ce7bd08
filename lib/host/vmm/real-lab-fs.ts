import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { errnoOf } from '../../errors.ts';
import type { LabFs } from '../../firecracker/lab-fs.ts';
import { tailFile } from './file-tail.ts';
import { copyRootfs } from './rootfs-copy.ts';
import { waitForSocket } from './wait-for-socket.ts';

/** Returns the LabFs of this machine (node:fs): the boot pipeline's default `files`. */
export function createRealLabFs(): LabFs {
  return {
    createDir: async (dir) => {
      await fs.mkdir(dir, { mode: 0o700 });
      try {
        await fs.chmod(dir, 0o700); // whatever the umask
      } catch (error) {
        await fs.rmdir(dir).catch(() => undefined); // ours, and still empty: not left half-made
        throw error;
      }
    },
    createEmptyFile: async (file) => {
      const handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await handle.close();
    },
    writeFileAtomic: async (file, text) => {
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await fs.writeFile(temp, text, { mode: 0o600, flag: 'wx' });
        await fs.rename(temp, file);
      } catch (error) {
        await fs.rm(temp, { force: true });
        throw error;
      }
    },
    copyRootfs,
    removeFile: async (file) => {
      try {
        await fs.unlink(file);
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw error;
      }
    },
    removeDir: (dir) => fs.rm(dir, { recursive: true, force: true }),
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
