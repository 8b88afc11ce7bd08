import { constants, promises as fs, type Stats } from 'node:fs';
import { errnoOf } from '../errors.ts';
import { kindOf } from './file-kind.ts';
import { hostErrorFrom } from './host-error.ts';
import type { FileKind, RegularFileRead } from './types.ts';

// O_NONBLOCK: opening a FIFO that was swapped in after the lstat returns at once instead of waiting for a writer.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Returns at most `maxBytes` from the start of `filePath` when it is a regular file, else the kind
 * found there, without following, opening for long or reading it. Exists for files that an
 * unprivileged user can replace under a root process (a pidfile in the state dir): a symlink to
 * /dev/zero, a FIFO or a huge file must not make the reader hang. The kind is checked twice, by
 * lstat before the open and by fstat of the opened fd, so a swap between the two is caught.
 */
export async function readRegularFile(filePath: string, maxBytes: number): Promise<RegularFileRead> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`readRegularFile: maxBytes must be a non-negative integer, got ${maxBytes}`);
  let before;
  try {
    before = await fs.lstat(filePath);
  } catch (error) {
    throw hostErrorFrom(error, `lstat ${filePath}`);
  }
  if (!before.isFile()) return { ok: false, kind: otherKind(before) };
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(filePath, OPEN_FLAGS);
  } catch (error) {
    if (errnoOf(error) === 'ELOOP') return { ok: false, kind: 'symlink' }; // replaced by a link since the lstat
    throw hostErrorFrom(error, `open ${filePath} (O_NOFOLLOW|O_NONBLOCK)`);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) return { ok: false, kind: otherKind(opened) };
    // One byte more than the cap tells a file that holds exactly maxBytes from a longer one.
    const buffer = Buffer.alloc(maxBytes + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { ok: true, data: buffer.subarray(0, Math.min(filled, maxBytes)), truncated: filled > maxBytes };
  } catch (error) {
    throw hostErrorFrom(error, `read ${filePath}`);
  } finally {
    await handle.close();
  }
}

/** The kind of a stat answer that is not a regular file (callers check isFile first). */
function otherKind(stats: Stats): Exclude<FileKind, 'file'> {
  return kindOf(stats) as Exclude<FileKind, 'file'>;
}
