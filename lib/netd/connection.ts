import type { Duplex } from 'node:stream';
import type { Dispatched } from './dispatch.ts';
import { MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, errorReply, type NetdErrorCode, type NetdReply } from './protocol.ts';
import { RequestFrameScanner } from './request-frame.ts';

/** Who is on the other end of a connection: the kernel's SO_PEERCRED of the unix socket. */
export interface PeerIdentity {
  pid: number;
  uid: number;
  gid: number;
}

/** One request's log facts: what was asked, for which lab, how it ended, how long it took, and who asked. */
export interface RequestLogEntry {
  op: string;
  labId: string | null;
  /** `ok`, an error code, or CLIENT_GONE when the client vanished before its answer. */
  result: string;
  durationMs: number;
  /** Absent when the peer is not known (an in-memory stream). */
  peer?: PeerIdentity;
}

/** How one connection is served. */
export interface ConnectionOptions {
  dispatch: (bytes: Buffer) => Promise<Dispatched>;
  /** A client that has not sent a complete request this long after connecting gets REQUEST_TIMEOUT (the daemon: REQUEST_DEADLINE_MS). */
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
 * deadline, whichever comes first; answers once; closes. Every byte is treated as hostile.
 * `peer` (when known) goes into the log line.
 */
export function serveConnection(stream: Duplex, options: ConnectionOptions, peer: PeerIdentity | null = null): ConnectionHandle {
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
    options.log({ ...entry, durationMs: clock() - started, ...(peer ? { peer } : {}) });
    resolveDone();
  }

  function answer(reply: NetdReply, entry: Omit<RequestLogEntry, 'durationMs'>) {
    if (phase === 'closed') return;
    if (stream.destroyed || !stream.writable) return close({ ...entry, result: 'CLIENT_GONE' });
    let text = JSON.stringify(reply);
    // Upstream's client stops reading at 16 KiB: a longer reply would reach it cut in the middle.
    if (Buffer.byteLength(text) > MAX_RESPONSE_BYTES) {
      text = JSON.stringify(errorReply('INTERNAL_ERROR', 'Internal server error'));
      entry = { ...entry, result: 'INTERNAL_ERROR' };
    }
    stream.end(text, (error?: Error | null) => close(error ? { ...entry, result: 'CLIENT_GONE' } : entry));
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

/** Renders one log line: `op=… lab=… result=… duration_ms=…`, then the peer's `uid=… pid=…` when known (no paths, no request bytes). */
export function renderRequestLog(entry: RequestLogEntry): string {
  const peer = entry.peer ? ` uid=${entry.peer.uid} pid=${entry.peer.pid}` : '';
  return `op=${entry.op} lab=${entry.labId ?? '-'} result=${entry.result} duration_ms=${entry.durationMs.toFixed(1)}${peer}`;
}
