import { constants, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import type { FileInfo, HostFs } from './types.ts';
import { hostErrorFrom } from './host-error.ts';
import { errnoOf } from '../errors.ts';
import { kindOf } from './file-kind.ts';
import { readRegularFile } from './regular-file.ts';

/** Maps a Node Stats object to the FileInfo the checks use. */
export function toFileInfo(filePath: string, stats: Stats): FileInfo {
  return { path: filePath, kind: kindOf(stats), mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid, size: stats.size };
}


/** The real file-system probes, built on node:fs. */
export function createRealFs(): HostFs {
  return {
    async stat(p) {
      try {
        return toFileInfo(p, await fs.stat(p));
      } catch (error) {
        throw hostErrorFrom(error, `stat ${p}`);
      }
    },
    async lstat(p) {
      try {
        return toFileInfo(p, await fs.lstat(p));
      } catch (error) {
        throw hostErrorFrom(error, `lstat ${p}`);
      }
    },
    async readBytes(p, offset, length) {
      let handle: fs.FileHandle | undefined;
      try {
        handle = await fs.open(p, constants.O_RDONLY | constants.O_NONBLOCK);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        return buffer.subarray(0, bytesRead);
      } catch (error) {
        throw hostErrorFrom(error, `read ${length} bytes at offset ${offset} of ${p}`);
      } finally {
        await handle?.close();
      }
    },
    async readText(p) {
      try {
        return await fs.readFile(p, 'utf8');
      } catch (error) {
        throw hostErrorFrom(error, `read ${p}`);
      }
    },
    readRegularFile,
    async exists(p) {
      try {
        await fs.lstat(p);
        return true;
      } catch (error) {
        if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return false;
        throw hostErrorFrom(error, `lstat ${p}`);
      }
    },
    async writeProbe(dir, name) {
      const probe = path.join(dir, name);
      try {
        // O_EXCL: never touch a file somebody else left at that name.
        const handle = await fs.open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
        await handle.close();
      } catch (error) {
        throw hostErrorFrom(error, `create ${probe}`);
      }
      try {
        await fs.unlink(probe);
      } catch (error) {
        throw hostErrorFrom(error, `remove ${probe}`);
      }
    },
  };
}
