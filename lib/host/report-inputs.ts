import { promises as fs } from 'node:fs';
import { errnoOf } from '../errors.ts';
import type { ReportFiles } from '../report/ports.ts';
import { hostErrorFrom } from './host-error.ts';

/**
 * The real ReportFiles: the files and directories named on `report`'s command line, read as the
 * invoking user sees them (symlinks followed: they are the user's own artifacts). A file is
 * checked for size before it is read, so a stray huge file is refused, not loaded.
 */
export const realReportFiles: ReportFiles = {
  async kind(path) {
    try {
      const stats = await fs.stat(path);
      return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
    } catch (error) {
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return 'missing';
      throw hostErrorFrom(error, `stat ${path}`);
    }
  },
  async list(dir) {
    try {
      return (await fs.readdir(dir)).sort();
    } catch (error) {
      throw hostErrorFrom(error, `read the directory ${dir}`);
    }
  },
  async read(path, maxBytes) {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path, 'r');
    } catch (error) {
      throw hostErrorFrom(error, `open ${path}`);
    }
    try {
      const { size } = await handle.stat();
      if (size > maxBytes) throw new RangeError(`${path} holds ${size} bytes, more than the ${maxBytes} a report file may have`);
      return await handle.readFile('utf8');
    } catch (error) {
      throw error instanceof RangeError ? error : hostErrorFrom(error, `read ${path}`);
    } finally {
      await handle.close();
    }
  },
};
