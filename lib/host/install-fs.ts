import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errnoOf } from '../errors.ts';
import type { AtomicWriteOptions, InstallFs, InstallStat } from '../provision/ports.ts';
import { hostErrorFrom } from './host-error.ts';
import { toFileInfo } from './real-fs.ts';

/** The real file operations of setup, rollback and cleanup (node:fs; errors become HostErrors). */
export function createInstallFs(): InstallFs {
  async function lstat(target: string): Promise<InstallStat | null> {
    try {
      const stats = await fs.lstat(target);
      const info = toFileInfo(target, stats);
      return { ...info, kind: stats.isSymbolicLink() ? 'symlink' : info.kind, name: path.basename(target), mtimeMs: stats.mtimeMs };
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return null;
      throw hostErrorFrom(error, `lstat ${target}`);
    }
  }

  async function attempt<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw hostErrorFrom(error, what);
    }
  }

  return {
    lstat,
    async sha256(file) {
      const hash = createHash('sha256');
      try {
        await pipeline(createReadStream(file), hash);
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return null;
        throw hostErrorFrom(error, `read ${file}`);
      }
      return hash.digest('hex');
    },
    async readHead(file, length) {
      return attempt(`read ${file}`, async () => {
        const handle = await fs.open(file, 'r');
        try {
          const buffer = Buffer.alloc(length);
          const { bytesRead } = await handle.read(buffer, 0, length, 0);
          return buffer.subarray(0, bytesRead);
        } finally {
          await handle.close();
        }
      });
    },
    async readText(file) {
      try {
        return await fs.readFile(file, 'utf8');
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return null;
        throw hostErrorFrom(error, `read ${file}`);
      }
    },
    async listDir(dir) {
      let names: string[];
      try {
        names = await fs.readdir(dir);
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return null;
        throw hostErrorFrom(error, `list ${dir}`);
      }
      const entries: InstallStat[] = [];
      for (const name of names.sort()) {
        const entry = await lstat(path.join(dir, name));
        if (entry) entries.push(entry); // vanished between readdir and lstat: not there any more
      }
      return entries;
    },
    realpath: (target) => attempt(`realpath ${target}`, () => fs.realpath(target)),
    async mkdirp(dir, mode) {
      const missing: string[] = [];
      for (let current = path.resolve(dir); ; current = path.dirname(current)) {
        const info = await lstat(current);
        if (info) {
          if (info.kind !== 'directory') throw hostErrorFrom(Object.assign(new Error(`ENOTDIR: ${current} is a ${info.kind}`), { code: 'ENOTDIR' }), `create ${dir}`);
          break;
        }
        missing.unshift(current);
        if (current === path.dirname(current)) break;
      }
      for (const created of missing) {
        await attempt(`create ${created}`, async () => {
          await fs.mkdir(created, { mode });
          await fs.chmod(created, mode); // whatever the umask
        });
      }
      return missing;
    },
    tempPathBeside: (file) => path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`),
    rename: (from, to) => attempt(`rename ${from} to ${to}`, () => fs.rename(from, to)),
    async removeFile(target) {
      try {
        await fs.unlink(target);
        return true;
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return false;
        throw hostErrorFrom(error, `remove ${target}`);
      }
    },
    async removeTree(target) {
      if (!(await lstat(target))) return false;
      // fs.rm never follows symlinks: a link inside the tree is removed, not its target.
      await attempt(`remove ${target}`, () => fs.rm(target, { recursive: true, force: true }));
      return true;
    },
    async readLink(link) {
      try {
        return await fs.readlink(link);
      } catch (error) {
        const errno = errnoOf(error);
        if (errno === 'ENOENT' || errno === 'EINVAL') return null; // missing, or not a symlink
        throw hostErrorFrom(error, `readlink ${link}`);
      }
    },
    async replaceSymlink(target, link) {
      const temp = path.join(path.dirname(link), `.${path.basename(link)}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await attempt(`symlink ${temp} -> ${target}`, () => fs.symlink(target, temp));
        await attempt(`rename ${temp} to ${link}`, () => fs.rename(temp, link));
      } finally {
        await fs.rm(temp, { force: true });
      }
    },
    chmod: (target, mode) => attempt(`chmod ${mode.toString(8)} ${target}`, () => fs.chmod(target, mode)),
    chown: (target, uid, gid) => attempt(`chown ${uid}:${gid} ${target}`, () => fs.chown(target, uid, gid)),
    async writeFileAtomic(file, data, options: AtomicWriteOptions) {
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await attempt(`write ${temp}`, async () => {
          const handle = await fs.open(temp, 'wx', options.mode);
          try {
            await handle.writeFile(data);
            await handle.chmod(options.mode);
            if (process.geteuid?.() === 0 && options.uid !== undefined && options.gid !== undefined) await handle.chown(options.uid, options.gid);
            await handle.sync();
          } finally {
            await handle.close();
          }
        });
        await attempt(`rename ${temp} to ${file}`, () => fs.rename(temp, file));
      } finally {
        await fs.rm(temp, { force: true });
      }
    },
  };
}
