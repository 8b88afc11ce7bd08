import { describeErrno, errnoOf } from '../errors.ts';

type Stream = NodeJS.WritableStream;

/** What became of one output stream: null while it works, else the errno that broke it. */
export interface StreamState {
  broken: string | null;
}

/**
 * Keeps a failing stdout/stderr (a full disk, `> /dev/full`, a closed pipe) from crashing the
 * process with an unhandled 'error' event: the failure is recorded and later writes are dropped.
 */
export function guardStream(stream: Stream): StreamState {
  const state: StreamState = { broken: null };
  if (typeof (stream as NodeJS.EventEmitter).on === 'function') {
    (stream as NodeJS.EventEmitter).on('error', (error: unknown) => {
      state.broken ??= errnoOf(error) ?? 'EIO';
    });
  }
  return state;
}

/** Waits until what was written so far has been handed on, and returns the errno if that failed. */
export function flushStream(stream: Stream, state: StreamState): Promise<string | null> {
  // Only a real Writable calls back; a bare { write } test double would leave this waiting.
  if (state.broken || typeof (stream as { writable?: unknown }).writable !== 'boolean') return Promise.resolve(state.broken);
  return new Promise((resolve) => {
    try {
      stream.write('', (error?: Error | null) => {
        if (error) state.broken ??= errnoOf(error) ?? 'EIO';
        resolve(state.broken);
      });
    } catch (error) {
      state.broken ??= errnoOf(error) ?? 'EIO';
      resolve(state.broken);
    }
  });
}

/**
 * Returns the line explaining a broken stdout, or null when nothing needs saying: a reader that
 * closed the pipe (`| head`) chose to stop reading, which is not the command's failure.
 */
export function describeBrokenStdout(errno: string | null): string | null {
  if (errno === null || errno === 'EPIPE') return null;
  return `cannot write to standard output: ${describeErrno(errno)}; the output is incomplete: write it somewhere with space (or to a pipe) and run again`;
}
