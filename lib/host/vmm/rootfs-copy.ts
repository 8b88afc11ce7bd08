import { constants, promises as fs } from 'node:fs';
import { errnoOf } from '../../errors.ts';
import type { CopyMethod } from '../../firecracker/lab-fs.ts';
import { copyWithCp } from './cp-sparse.ts';

/** Holes are kept at this granularity... */
const BLOCK = 64 * 1024;
/**
 * ...while the image is read in larger pieces: a 64 MiB image in 16 reads, not 1,024. Each read
 * is a round trip through libuv's thread pool, which costs milliseconds on a loaded machine.
 */
const READ = 4 * 1024 * 1024;
const REFLINK_UNSUPPORTED = new Set(['EOPNOTSUPP', 'ENOTSUP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY']);

/** Where the copy finds GNU cp: on PATH; `null` copies in Node only. */
export interface CopyOptions {
  cp?: string | null;
}

/**
 * Copies the base image to `target` without ever opening the base for writing: a reflink where the
 * file system can (FICLONE); otherwise GNU cp's sparse copy, which reads only the image's data
 * (cp-sparse.ts); otherwise (no GNU cp) a block copy here that leaves all-zero blocks as holes.
 * Either way a sparse image stays sparse. `target` must not exist (O_EXCL); a failed or aborted
 * copy removes it.
 */
export async function copyRootfs(source: string, target: string, signal?: AbortSignal, options: CopyOptions = {}): Promise<CopyMethod> {
  signal?.throwIfAborted();
  try {
    await fs.copyFile(source, target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE);
    return 'reflink';
  } catch (error) {
    if (!REFLINK_UNSUPPORTED.has(errnoOf(error) ?? '')) throw error;
    await fs.rm(target, { force: true });
  }
  const cp = options.cp === undefined ? 'cp' : options.cp;
  if (cp !== null && (await copyWithCp(cp, source, target, signal)).copied) return 'sparse-copy';
  await sparseCopy(source, target, signal);
  return 'sparse-copy';
}

/** The block copy on its own (copyRootfs's fallback when the file system cannot reflink). */
export async function sparseCopy(source: string, target: string, signal?: AbortSignal): Promise<void> {
  const input = await fs.open(source, constants.O_RDONLY);
  let output: fs.FileHandle | undefined;
  try {
    output = await fs.open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    const { size } = await input.stat();
    const buffer = Buffer.allocUnsafe(READ);
    for (let offset = 0; offset < size; ) {
      // Checked per read (4 MiB): an interrupted boot stops copying within one read, not at the end.
      signal?.throwIfAborted();
      const { bytesRead } = await input.read(buffer, 0, Math.min(READ, size - offset), offset);
      if (bytesRead === 0) break;
      // A block of zeros is not written: it stays a hole in the copy. Consecutive data blocks go in one write.
      for (const [start, end] of dataRuns(buffer.subarray(0, bytesRead))) await writeFully(output, buffer.subarray(start, end), offset + start);
      offset += bytesRead;
    }
    // No fsync: firecracker reads the copy through the same page cache, and a copy that a host
    // crash cut short lies in a lab directory that \`octolab-verify cleanup\` removes anyway.
    await output.truncate(size);
  } catch (error) {
    await output?.close();
    output = undefined;
    await fs.rm(target, { force: true });
    throw error;
  } finally {
    await input.close();
    await output?.close();
  }
}

async function writeFully(handle: fs.FileHandle, chunk: Buffer, position: number): Promise<void> {
  for (let done = 0; done < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
  }
}

const ZEROS = Buffer.alloc(BLOCK);

function isZero(chunk: Buffer): boolean {
  return chunk.equals(ZEROS.subarray(0, chunk.length)); // memcmp
}

/** The [start, end) ranges of `data` that are not all zeros, at BLOCK granularity, adjacent blocks merged. */
export function dataRuns(data: Buffer): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let start = 0; start < data.length; start += BLOCK) {
    const end = Math.min(start + BLOCK, data.length);
    if (isZero(data.subarray(start, end))) continue;
    const last = runs.at(-1);
    if (last && last[1] === start) last[1] = end;
    else runs.push([start, end]);
  }
  return runs;
}
