import type { Duplex } from 'node:stream';
import type { Dispatched } from './dispatch.ts';
import { MAX_REQUEST_BYTES, errorReply, type NetdErrorCode, type NetdReply } from './protocol.ts';
import { RequestFrameScanner } from './request-frame.ts';

/** One request's log facts: what was asked, for which lab, how it ended, how long it took. */
export interface RequestLogEntry {
  op: string;
  labId: string | null;
  /** `ok`, an error code, or CLIENT_GONE when the client vanished before its answer. */
  result: string;
  durationMs: number;
}

/** How one connection is served. */
export interface ConnectionOptions {
  dispatch: (bytes: Buffer) => Promise<Dispatched>;
  /** A client that has not sent a complete request by then gets REQUEST_TIMEOUT. */
  timeoutMs: number;
  maxRequestBytes?: number;
  log: (entry: RequestLogEntry) => void;
  /** A monotonic clock in milliseconds (default performance.now). */
  clock?: () => number;
}

/** A served connection: `handling` once its request is being processed; `done` when it is closed. */
export interface ConnectionHandle {
  readonly phase: 'reading' | 'handling' | 'closed';
  /** Settles when the connection is finished (never rejects). */
  readonly done: Promise<void>;
  /** At shutdown: a connection still reading gets SHUTTING_DOWN; one being handled is left to finish. */
  refuseIfReading(): void;
}

/**
 * Serves one connection: reads until a complete JSON object, a half-close, 4096 bytes or the
 * timeout, whichever comes first; answers once; closes. Every byte is treated as hostile.
 */
export function serveConnection(stream: Duplex, options: ConnectionOptions): ConnectionHandle {
  const clock = options.clock ?? (() => performance.now());
  const limit = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
  const started = clock();
  const scanner = new RequestFrameScanner();
  const chunks: Buffer[] = [];
  let received = 0;
  let phase: ConnectionHandle['phase'] = 'reading';
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const timer = setTimeout(() => refuse('REQUEST_TIMEOUT', `no complete request within ${options.timeoutMs} ms`), options.timeoutMs);

  function close(entry: Omit<RequestLogEntry, 'durationMs'>) {
    if (phase === 'closed') return;
    phase = 'closed';
    clearTimeout(timer);
    stream.destroy();
    options.log({ ...entry, durationMs: clock() - started });
    resolveDone();
  }

  function answer(reply: NetdReply, entry: Omit<RequestLogEntry, 'durationMs'>) {
    if (phase === 'closed') return;
    if (stream.destroyed || !stream.writable) return close({ ...entry, result: 'CLIENT_GONE' });
    stream.end(JSON.stringify(reply), (error?: Error | null) => close(error ? { ...entry, result: 'CLIENT_GONE' } : entry));
  }

  function refuse(code: NetdErrorCode, message: string) {
    if (phase !== 'reading') return;
    phase = 'handling';
    clearTimeout(timer);
    answer(errorReply(code, message), { op: '-', labId: null, result: code });
  }

  function handle(bytes: Buffer) {
    phase = 'handling';
    clearTimeout(timer);
    options.dispatch(bytes).then(
      (dispatched) => answer(dispatched.reply, { op: dispatched.op, labId: dispatched.labId, result: dispatched.result }),
      // The dispatcher never throws; this is a last line of defence.
      () => answer(errorReply('INTERNAL_ERROR', 'Internal server error'), { op: '-', labId: null, result: 'INTERNAL_ERROR' }),
    );
  }

  stream.on('data', (chunk: Buffer) => {
    if (phase !== 'reading') return; // Bytes after the request are read and dropped.
    received += chunk.length;
    chunks.push(chunk);
    const all = Buffer.concat(chunks);
    const state = scanner.scan(all);
    if (state.kind === 'complete' && state.end <= limit) return handle(all.subarray(0, state.end));
    if (received > limit) return refuse('REQUEST_TOO_LARGE', `request exceeds ${limit} bytes`);
    if (state.kind === 'not-object') return handle(all);
  });
  stream.on('end', () => {
    if (phase !== 'reading') return;
    if (received === 0) return refuse('EMPTY_REQUEST', 'the connection was closed without a request');
    handle(Buffer.concat(chunks));
  });
  stream.on('error', () => close({ op: '-', labId: null, result: 'CLIENT_GONE' }));
  stream.on('close', () => {
    if (phase === 'reading') close({ op: '-', labId: null, result: 'CLIENT_GONE' });
  });

  return {
    get phase() {
      return phase;
    },
    done,
    refuseIfReading: () => refuse('SHUTTING_DOWN', 'microvm-netd is stopping; retry when it is back'),
  };
}

/** Renders one log line: `op=… lab=… result=… duration_ms=…` (no paths, no request bytes). */
export function renderRequestLog(entry: RequestLogEntry): string {
  return `op=${entry.op} lab=${entry.labId ?? '-'} result=${entry.result} duration_ms=${entry.durationMs.toFixed(1)}`;
}

/** Default connection limit: twice the 64 concurrent labs the host suite allocates at once. */
export const MAX_CONNECTIONS = 128;
/** How long a refused connection may stay open for its client to read the answer and close. */
const REFUSED_LINGER_MS = 1000;

/** Admits connections up to a limit and serves each; the daemon and the in-process fake share it. */
export interface ConnectionGate {
  /** Serves `stream`, or answers TOO_MANY_CONNECTIONS and closes it when the limit is reached (null then). */
  accept(stream: Duplex): ConnectionHandle | null;
  /** The connections open now (reading or being handled). */
  readonly open: ReadonlySet<ConnectionHandle>;
}

/**
 * Returns a gate for `options.maxConnections` (default MAX_CONNECTIONS) connections at once: one
 * more is answered without reading a byte, so a client that opens many cannot make the root
 * daemon hold unbounded descriptors, timers and `ip` processes.
 */
export function createConnectionGate(options: ConnectionOptions & { maxConnections?: number }): ConnectionGate {
  const limit = options.maxConnections ?? MAX_CONNECTIONS;
  const open = new Set<ConnectionHandle>();
  return {
    open,
    accept(stream) {
      if (open.size >= limit) {
        // The answer goes out at once. What the client sends is read and dropped, never parsed:
        // closing a socket with unread bytes resets it, and the client would lose the answer.
        // The socket closes when the client does, or after REFUSED_LINGER_MS at the latest.
        stream.on('error', () => undefined);
        stream.resume();
        const linger = setTimeout(() => stream.destroy(), REFUSED_LINGER_MS);
        linger.unref?.();
        stream.on('close', () => clearTimeout(linger));
        stream.end(JSON.stringify(errorReply('TOO_MANY_CONNECTIONS', `microvm-netd serves at most ${limit} connections at once; retry shortly`)));
        options.log({ op: '-', labId: null, result: 'TOO_MANY_CONNECTIONS', durationMs: 0 });
        return null;
      }
      const handle = serveConnection(stream, options);
      open.add(handle);
      void handle.done.then(() => open.delete(handle));
      return handle;
    },
  };
}
