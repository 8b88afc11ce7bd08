import { closeSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import type { FileTail } from '../../firecracker/lab-fs.ts';

const CHUNK = 64 * 1024;
/** Read at most this much per wake-up; the rest follows on the next turn of the event loop. */
const MAX_PER_TURN = 16 * CHUNK;

/**
 * Delivers the bytes appended to `file` (which must exist) to `onChunk`, in order, woken by
 * modification events rather than by polling. Reads are synchronous: a local file read is one
 * syscall, where an asynchronous one is a round trip through libuv's thread pool (milliseconds on a
 * loaded 2-core machine) between firecracker writing the marker and the boot seeing it. A file that
 * grows faster than it is read is read 1 MiB per turn of the event loop, so timers and signals still
 * run in between.
 */
export async function tailFile(file: string, onChunk: (bytes: Buffer) => void): Promise<FileTail> {
  const fd = openSync(file, 'r');
  let position = 0;
  let closed = false;
  let more: NodeJS.Immediate | null = null;
  const buffer = Buffer.alloc(CHUNK);

  /** Reads what there is, up to `limit` bytes; true when it reached the end of the file. */
  const read = (limit: number): boolean => {
    for (let done = 0; !closed && done < limit; ) {
      const bytesRead = readSync(fd, buffer, 0, CHUNK, position);
      if (bytesRead === 0) return true;
      position += bytesRead;
      done += bytesRead;
      onChunk(Buffer.from(buffer.subarray(0, bytesRead)));
    }
    return closed;
  };
  const wake = () => {
    if (closed || more) return;
    try {
      if (!read(MAX_PER_TURN)) more = setImmediate(() => ((more = null), wake()));
    } catch {
      // A failed read is reported by the next drain, which reads again.
    }
  };

  let watcher: FSWatcher;
  try {
    watcher = watch(file, { persistent: true }, wake);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  watcher.on('error', () => undefined);
  wake();

  return {
    async drain() {
      if (more) clearImmediate(more);
      more = null;
      read(Infinity);
    },
    async close() {
      if (closed) return;
      closed = true;
      watcher.close();
      if (more) clearImmediate(more);
      closeSync(fd);
    },
  };
}
