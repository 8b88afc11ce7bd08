import { constants, promises as fs } from 'node:fs';
import { errnoOf } from '../../errors.ts';
import type { CopyMethod } from '../../firecracker/lab-fs.ts';

/** Holes are kept at this granularity... */
const BLOCK = 64 * 1024;
/** ...while the image is read in larger pieces: a 64 MiB image in 64 reads, not 1,024. */
const READ = 1024 * 1024;
const REFLINK_UNSUPPORTED = new Set(['EOPNOTSUPP', 'ENOTSUP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY']);

/**
 * Copies the base image to `target` without ever opening the base for writing: a reflink where the
 * file system can (FICLONE), otherwise a block copy that leaves all-zero blocks as holes, so a
 * sparse image stays sparse. `target` must not exist (O_EXCL); a failed or aborted copy removes it.
 */
export async function copyRootfs(source: string, target: string, signal?: AbortSignal): Promise<CopyMethod> {
  signal?.throwIfAborted();
  try {
    await fs.copyFile(source, target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE);
    return 'reflink';
  } catch (error) {
    if (!REFLINK_UNSUPPORTED.has(errnoOf(error) ?? '')) throw error;
    await fs.rm(target, { force: true });
  }
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
    const buffer = Buffer.alloc(READ);
    for (let offset = 0; offset < size; ) {
      // Checked per read (1 MiB): an interrupted boot stops copying within one read, not at the end.
      signal?.throwIfAborted();
      const { bytesRead } = await input.read(buffer, 0, Math.min(READ, size - offset), offset);
      if (bytesRead === 0) break;
      // A block of zeros is not written: it stays a hole in the copy.
      for (let start = 0; start < bytesRead; start += BLOCK) {
        const chunk = buffer.subarray(start, Math.min(start + BLOCK, bytesRead));
        if (!isZero(chunk)) await writeFully(output, chunk, offset + start);
      }
      offset += bytesRead;
    }
    await output.truncate(size);
    await output.sync();
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
