import { promises as fs, watch, type FSWatcher } from 'node:fs';
import type { FileTail } from '../../firecracker/lab-fs.ts';

const CHUNK = 64 * 1024;

/**
 * Delivers the bytes appended to `file` (which must exist) to `onChunk`, in order, woken by
 * modification events rather than by polling. Reads are serialised; each read goes to the end.
 */
export async function tailFile(file: string, onChunk: (bytes: Buffer) => void): Promise<FileTail> {
  const handle = await fs.open(file, 'r');
  let position = 0;
  let closed = false;
  let queue: Promise<void> = Promise.resolve();
  const buffer = Buffer.alloc(CHUNK);

  const readToEnd = async () => {
    while (!closed) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      onChunk(Buffer.from(buffer.subarray(0, bytesRead)));
    }
  };
  const schedule = () => {
    queue = queue.then(readToEnd, readToEnd);
    return queue;
  };

  let watcher: FSWatcher;
  try {
    watcher = watch(file, { persistent: true }, () => void schedule().catch(() => undefined));
  } catch (error) {
    await handle.close();
    throw error;
  }
  watcher.on('error', () => undefined);
  void schedule().catch(() => undefined);

  return {
    drain: () => schedule(),
    async close() {
      if (closed) return;
      watcher.close();
      await queue.catch(() => undefined);
      closed = true;
      await handle.close();
    },
  };
}
