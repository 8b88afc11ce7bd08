import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { HostError, describeErrno, errnoOf } from '../errors.ts';
import type { ReportReader } from '../verify/suite-run.ts';
import { readRegularFile } from './regular-file.ts';

type Env = Readonly<Record<string, string | undefined>>;

// O_EXCL makes open fail on any existing entry, a symlink included; O_NOFOLLOW says so twice.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Writes a report file atomically (temp file + rename) and, under sudo, hands it back to the
 * invoking user so that a later unprivileged run can overwrite it. The report directory may be
 * writable by others (a shared reports dir, /tmp), so the temp file has a random name, is created
 * exclusively, and is written, synced and chowned through its handle, never by path; a symlink
 * planted in the directory is never followed. A symlink at `filePath` itself is replaced, not written
 * through. On failure only the temp file this call created is removed.
 */
export async function writeReportFile(filePath: string, content: string, env: Env = process.env): Promise<void> {
  const dir = path.dirname(filePath);
  const created = await makeReportDir(dir);
  // node:crypto is taken here, not imported: loading it costs every command's start, and only a write needs it.
  const random = process.getBuiltinModule('node:crypto').randomBytes(8).toString('hex');
  const temp = path.join(dir, `.${path.basename(filePath)}.${random}.tmp`);
  const handle = await fs.open(temp, CREATE_FLAGS, 0o644).catch((error: unknown) => {
    throw writeFailure(filePath, `create a file in ${dir}`, error);
  });
  let identity: { dev: number; ino: number } | undefined;
  try {
    const stats = await handle.stat();
    identity = { dev: stats.dev, ino: stats.ino };
    await handle.writeFile(content);
    await handle.sync();
    const owner = sudoOwner(env);
    if (owner) await handle.chown(owner.uid, owner.gid);
    await handle.close();
    await fs.rename(temp, filePath);
  } catch (error) {
    await handle.close().catch(() => undefined); // already closed when the rename failed
    await removeOwnTemp(temp, identity);
    throw writeFailure(filePath, `write ${filePath}`, error);
  }
  // Hand back only directories this call created, never an existing one such as /tmp.
  const owner = sudoOwner(env);
  if (created && owner) {
    for (let current = path.resolve(dir); current.startsWith(created); current = path.dirname(current)) {
      await chownDirNoFollow(current, owner);
      if (current === created) break;
    }
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir loops forever where mkdir answers ENOENT
 * for a parent that exists (/proc/foo), so this walks up to the nearest existing directory and
 * creates each missing one in turn. Returns the outermost directory it created (undefined: none).
 */
export async function makeReportDir(dir: string): Promise<string | undefined> {
  const missing: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const info = await fs.lstat(current).catch((error: unknown) => {
      // ENOTDIR: a parent is a file; the walk goes on up and names it.
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return null;
      throw writeFailure(dir, `look at ${current} (for ${dir})`, error);
    });
    if (info) {
      if (info.isDirectory()) break;
      const stats = await fs.stat(current).catch(() => null); // a symlink to a directory is fine
      if (stats?.isDirectory()) break;
      throw new HostError({ code: 'REPORT_DIR_UNUSABLE', summary: `${current} is a file, not a directory`, hint: 'Choose a directory for the reports (it is created if missing).' });
    }
    missing.unshift(current);
    if (current === path.dirname(current)) break;
  }
  for (const created of missing) {
    await fs.mkdir(created).catch((error: unknown) => {
      if (errnoOf(error) !== 'EEXIST') throw writeFailure(dir, `create ${created}`, error);
    });
  }
  return missing[0];
}

/**
 * Checks, before any work is done, that a report can be written at `filePath`: not a directory or
 * a special file, its directory can be created, and a file can be created in it (catches EACCES,
 * EROFS, a full disk's EDQUOT and a parent that is a file). Returns the problem, or null.
 */
export async function reportTargetProblem(filePath: string, exampleName = 'report.xml'): Promise<string | null> {
  const existing = await fs.stat(filePath).catch(() => null);
  if (existing?.isDirectory()) return `${filePath} is a directory: name a file inside it, e.g. ${path.join(filePath, exampleName)}`;
  if (existing && !existing.isFile()) return `${filePath} is not a regular file: name a file to (over)write`;
  const dir = path.dirname(filePath);
  try {
    await makeReportDir(dir);
    const random = process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex');
    const probe = path.join(dir, `.octolab-verify-probe.${random}`);
    const handle = await fs.open(probe, CREATE_FLAGS, 0o600).catch((error: unknown) => {
      throw writeFailure(filePath, `create a file in ${dir}`, error);
    });
    await handle.close();
    await fs.unlink(probe).catch(() => undefined);
  } catch (error) {
    return error instanceof HostError ? error.summary : String(error);
  }
  return null;
}

/** A failed report write as a HostError: which file, what was attempted, the errno in words. */
function writeFailure(filePath: string, attempted: string, error: unknown): HostError {
  if (error instanceof HostError) return error;
  const errno = errnoOf(error);
  return new HostError({
    code: 'REPORT_WRITE_FAILED',
    summary: `cannot ${attempted}: ${errno ? describeErrno(errno) : (error as Error).message}`,
    attempted,
    reason: errno,
    hint: 'Choose a location you can write (a directory on a writable file system with space left).',
    cause: error,
  });
}

/** The invoking user under sudo, when this process is root; null otherwise. */
function sudoOwner(env: Env): { uid: number; gid: number } | null {
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  if (process.geteuid?.() !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0) return null;
  return { uid, gid };
}

/** Removes the temp file only while it is still the one this call created (same device and inode). */
async function removeOwnTemp(temp: string, identity: { dev: number; ino: number } | undefined): Promise<void> {
  const now = await fs.lstat(temp).catch(() => null);
  if (now && identity && now.dev === identity.dev && now.ino === identity.ino) await fs.unlink(temp).catch(() => undefined);
}

/** chowns a directory through an O_NOFOLLOW handle, so a symlink swapped in for it is not followed. */
async function chownDirNoFollow(dir: string, owner: { uid: number; gid: number }): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    await handle.chown(owner.uid, owner.gid);
  } finally {
    await handle.close();
  }
}

/** A JUnit report read back larger than this is refused (the host suites' is a few hundred KiB). */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/**
 * The real ReportReader: reads a report back (null when missing) and removes a stale one. The
 * reports directory may be writable by others, so only a regular file of at most MAX_REPORT_BYTES
 * is read: a FIFO, a symlink or a device put there is refused, never waited on or followed.
 */
export const realReportReader: ReportReader = {
  read: async (filePath) => {
    let found;
    try {
      found = await readRegularFile(filePath, MAX_REPORT_BYTES);
    } catch (error) {
      if ((error instanceof HostError ? error.errno : errnoOf(error)) === 'ENOENT') return null;
      throw error;
    }
    if (!found.ok) throw new Error(`${filePath} is a ${found.kind}, not a regular file: not read (the suites write a regular file there; something replaced it)`);
    if (found.truncated) throw new Error(`${filePath} holds more than ${MAX_REPORT_BYTES} bytes: not read as a JUnit report`);
    return found.data.toString('utf8');
  },
  remove: (filePath) => fs.rm(filePath, { force: true }),
};
