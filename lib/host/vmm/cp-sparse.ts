import { constants, promises as fs } from 'node:fs';

/** How much of cp's stderr is kept for the error (it says one line, or a usage text). */
const MAX_STDERR = 2048;

/**
 * Copies `source` to `target` with GNU cp (`--sparse=always --reflink=never`), which finds the
 * image's data with SEEK_DATA/SEEK_HOLE and copies only that (copy_file_range), where a copy in
 * Node must read every byte, holes included, to find the zeros: a sparse 64 MiB image with a few
 * KiB of data takes cp about 5 ms and the block copy a 64 MiB read and compare, which on a 2-core
 * machine competes with the firecracker that starts meanwhile.
 *
 * The target is created here first (O_EXCL, 0600; cp keeps an existing target's mode), in the lab
 * directory, which is this user's (0700). Resolves true when cp copied it all; false, with the
 * target removed, when cp is missing or fails (BusyBox's cp knows no --sparse): the caller then
 * copies in Node. When `signal` aborts, cp is killed, the target removed, and the signal's reason
 * thrown. Arguments go as an array, the paths after `--`.
 */
export async function copyWithCp(cp: string, source: string, target: string, signal?: AbortSignal): Promise<{ copied: boolean; why: string | null }> {
  signal?.throwIfAborted();
  await (await fs.open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)).close();
  if (signal?.aborted) {
    await fs.rm(target, { force: true });
    signal.throwIfAborted();
  }
  const child = process.getBuiltinModule('node:child_process').spawn(cp, ['--sparse=always', '--reflink=never', '--', source, target], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8').slice(0, MAX_STDERR - stderr.length);
  });
  const onAbort = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', onAbort, { once: true });
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, by) => resolve({ code, signal: by }));
  });
  signal?.removeEventListener('abort', onAbort);
  if (ended.code === 0 && !signal?.aborted) return { copied: true, why: null };
  await fs.rm(target, { force: true });
  signal?.throwIfAborted();
  const why = ended.error ? `${cp}: ${(ended.error as NodeJS.ErrnoException).code ?? ended.error.message}` : `${cp} exited ${ended.code ?? ended.signal}${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`;
  return { copied: false, why };
}
