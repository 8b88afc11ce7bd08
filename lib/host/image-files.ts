import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoOf } from '../errors.ts';

/**
 * The writes the image builder makes: a staging tree in a private temp dir, a temp image beside
 * the output, and the final rename. Passed in as one value so tests can replace an operation;
 * part of the door to the OS (lib/host), so lib/provision itself never writes to the file system.
 */
export interface ImageFiles {
  /** Creates a private (0700) staging directory and returns its path. */
  makeStagingDir(): Promise<string>;
  mkdir(dir: string): Promise<void>;
  writeFile(file: string, content: string | Buffer, mode: number): Promise<void>;
  copyFile(source: string, target: string, mode: number): Promise<void>;
  symlink(target: string, linkPath: string): Promise<void>;
  /** A fresh, unused path beside `file` for building it (same file system, so rename is atomic). */
  tempPathBeside(file: string): string;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or tree; missing is fine. */
  remove(target: string): Promise<void>;
  /** True when the path exists (lstat). */
  exists(target: string): Promise<boolean>;
}

/** The real ImageFiles. */
export function createImageFiles(): ImageFiles {
  return {
    makeStagingDir: () => fs.mkdtemp(path.join(os.tmpdir(), 'octolab-hello-rootfs-')),
    mkdir: async (dir) => void (await fs.mkdir(dir, { recursive: true, mode: 0o755 })),
    writeFile: async (file, content, mode) => {
      await fs.writeFile(file, content, { mode, flag: 'wx' });
      await fs.chmod(file, mode);
    },
    copyFile: async (source, target, mode) => {
      await fs.copyFile(source, target, constants.COPYFILE_EXCL);
      await fs.chmod(target, mode);
    },
    symlink: (target, linkPath) => fs.symlink(target, linkPath),
    tempPathBeside: (file) => path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`),
    rename: (from, to) => fs.rename(from, to),
    remove: (target) => fs.rm(target, { recursive: true, force: true }),
    exists: async (target) => {
      try {
        await fs.lstat(target);
        return true;
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return false;
        throw error;
      }
    },
  };
}
