import { promises as fs, watch, type FSWatcher } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { errnoOf } from '../../errors.ts';

/**
 * Resolves when `socketPath` exists as a unix socket that accepts connections. Its appearance is
 * awaited through directory events (inotify), never by polling; the path is also checked once right
 * after the watch starts, so a socket created before the watch is not missed. Rejects with the
 * signal's reason when it aborts.
 */
export async function waitForSocket(socketPath: string, signal: AbortSignal): Promise<void> {
  await waitForSocketFile(socketPath, signal);
  await waitUntilListening(socketPath, signal);
}

function waitForSocketFile(socketPath: string, signal: AbortSignal): Promise<void> {
  const dir = path.dirname(socketPath);
  const name = path.basename(socketPath);
  return new Promise<void>((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      watcher?.close();
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = () => finish(signal.reason);
    const check = async () => {
      try {
        const stats = await fs.lstat(socketPath);
        if (stats.isSocket()) finish();
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') finish(error);
      }
    };
    if (signal.aborted) return finish(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      watcher = watch(dir, { persistent: true }, (_event, filename) => {
        if (filename === null || filename === name) void check();
      });
      watcher.on('error', finish);
    } catch (error) {
      return finish(error);
    }
    void check();
  });
}

/**
 * bind(2) creates the socket file before listen(2) makes it accept connections, and nothing
 * announces the second event. This is the one wait that retries: only on ECONNREFUSED, with a
 * backoff from 1 ms doubling to 50 ms, for the microseconds-to-milliseconds between the two calls.
 */
async function waitUntilListening(socketPath: string, signal: AbortSignal): Promise<void> {
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    signal.throwIfAborted();
    const errno = await tryConnect(socketPath);
    if (errno === null) return;
    if (errno !== 'ECONNREFUSED') throw Object.assign(new Error(`connect to ${socketPath} failed: ${errno}`), { code: errno });
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function tryConnect(socketPath: string): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (error) => resolve(errnoOf(error) ?? 'EIO'));
  });
}
