import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { errnoOf } from '../errors.ts';
import { tailFile, type FileTail } from './file-tail.ts';
import { copyRootfs, type CopyMethod } from './rootfs-copy.ts';
import { waitForSocket } from './wait-for-socket.ts';

/**
 * The file operations a boot makes in its lab directory. The pipeline receives them as one value
 * (`createRealLabFs()` here) so a test can replace a single operation, e.g. a copy that fails.
 */
export interface LabFs {
  /** mkdir with mode 0700; the parent must exist and the directory must not (EEXIST). */
  createDir(dir: string): Promise<void>;
  /** Creates an empty file, mode 0600, failing if it exists. */
  createEmptyFile(file: string): Promise<void>;
  /** Writes a temp file beside `file`, then renames it over `file`. */
  writeFileAtomic(file: string, text: string): Promise<void>;
  /** Copies the base image (reflink or sparse copy); the base is only ever opened read-only. */
  copyRootfs(source: string, target: string): Promise<CopyMethod>;
  /** Removes a file; a missing file is fine. */
  removeFile(file: string): Promise<void>;
  /** Removes a directory tree; a missing directory is fine. */
  removeDir(dir: string): Promise<void>;
  /** Resolves when the unix socket exists (directory events, no polling). */
  waitForSocket(socketPath: string, signal: AbortSignal): Promise<void>;
  /** Tails a growing file. */
  tail(file: string, onChunk: (bytes: Buffer) => void): Promise<FileTail>;
  /** The last `maxBytes` of a file, decoded; '' when it does not exist. */
  readTail(file: string, maxBytes: number): Promise<string>;
}

/** Returns the LabFs of this machine. */
export function createRealLabFs(): LabFs {
  return {
    createDir: async (dir) => {
      await fs.mkdir(dir, { mode: 0o700 });
      await fs.chmod(dir, 0o700); // whatever the umask
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
