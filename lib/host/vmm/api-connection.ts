import type { Socket } from 'node:net';
import type { ApiResponse } from '../../firecracker/api-client.ts';

/**
 * One HTTP/1.1 connection to Firecracker's API socket, written for the server at its other end,
 * micro_http: every request carries its body with Content-Length (micro_http reads bodies by
 * Content-Length only), answers are read by Content-Length (micro_http never sends a chunked one,
 * and this client refuses one; without a length, a body runs to the end of the connection),
 * interim 1xx answers are skipped, and requests go one at a time over one kept-alive connection,
 * reconnecting after a close.
 *
 * Every byte from the socket is untrusted: heads and bodies have bounds, anything this client
 * cannot read is refused with an error naming what came (code EPROTO), a close before a whole
 * answer rejects (ECONNRESET), bytes nobody asked for drop the connection, and the caller's signal
 * ends a request wherever it is (waiting its turn, connecting or reading).
 *
 * Hand-written rather than node:http's client for start-up speed: a boot makes its API calls from a
 * fresh process, where node:http's agent, outgoing message, parser and incoming message all run
 * cold. Against the fake, the API stages of a boot (api-ready to instance-start) took about half as
 * long with this connection as with node:http under the same load.
 */
export interface ApiConnection {
  /** Sends one request and resolves with the whole answer; rejects with the signal's reason when it fires. */
  request(method: string, path: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal): Promise<ApiResponse>;
  /** Closes the connection; a later request opens a new one. */
  close(): void;
}

/** The longest answer head (status line and headers) this client reads: micro_http's are under 200 bytes. */
export const MAX_HEAD = 64 * 1024;
/** The largest answer body: Firecracker's are a few KiB (GET /vm/config is the largest). */
export const MAX_BODY = 4 * 1024 * 1024;

/** An error with a code, as the client's error mapping (`unreachable`) reads it. */
function protocolError(message: string, code = 'EPROTO'): Error {
  return Object.assign(new Error(message), { code });
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A request target without spaces or control characters (nothing that could end the request line). */
const TARGET = /^\/[\x21-\x7e]*$/;
/** A header value without CR, LF or other control characters (tab allowed). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The request's head, refusing a method, path or header that would split it. */
function requestHead(method: string, path: string, headers: Record<string, string>): string {
  if (!TOKEN.test(method)) throw new TypeError(`invalid HTTP method ${JSON.stringify(method)}: use a token such as GET or PUT`);
  if (!TARGET.test(path)) throw new TypeError(`invalid API path ${JSON.stringify(path)}: it must start with / and hold no spaces or control characters (percent-encode them)`);
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) throw new TypeError(`invalid request header ${JSON.stringify(`${name}: ${value}`)}: no control characters or line breaks`);
    head += `${name}: ${value}\r\n`;
  }
  return `${head}Host: localhost\r\nConnection: keep-alive\r\n\r\n`;
}

/** Resolves when `wait` settles (either way), or rejects with the signal's reason when it fires first. */
function untilSettledOrAborted(wait: Promise<unknown>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void wait.then(
      () => (signal.removeEventListener('abort', onAbort), resolve()),
      () => (signal.removeEventListener('abort', onAbort), resolve()),
    );
  });
}

/** Opens (lazily, on the first request) the connection to the API socket at `socketPath`. */
export function openApiConnection(socketPath: string): ApiConnection {
  let socket: Socket | null = null;
  /** Where the socket's bytes go while a request waits for its answer; null while idle. */
  let reading: ((chunk: Buffer) => void) | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  const drop = () => {
    socket?.destroy();
    socket = null;
  };

  const connect = (signal: AbortSignal) =>
    new Promise<Socket>((resolve, reject) => {
      if (socket && !socket.destroyed) return resolve(socket);
      const opened = process.getBuiltinModule('node:net').connect(socketPath);
      socket = opened;
      // An idle connection that breaks is only forgotten; the next request opens a new one.
      opened.on('error', () => undefined);
      opened.once('close', () => {
        if (socket === opened) socket = null;
      });
      // Bytes while no request waits (nobody asked for them): the connection is out of step.
      opened.on('data', (chunk: Buffer) => (reading && socket === opened ? reading(chunk) : opened.destroy()));
      const onAbort = () => settle(signal.reason);
      const settle = (error?: unknown) => {
        opened.off('connect', settle);
        opened.off('error', settle);
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) return resolve(opened);
        if (socket === opened) drop();
        reject(error);
      };
      opened.once('connect', settle);
      opened.once('error', settle);
      signal.addEventListener('abort', onAbort, { once: true });
    });

  const exchange = async (method: string, path: string, head: string, body: Buffer | undefined, signal: AbortSignal): Promise<ApiResponse> => {
    const connection = await connect(signal);
    return new Promise<ApiResponse>((resolve, reject) => {
      const reader = new AnswerReader(method === 'HEAD');
      const onData = (chunk: Buffer) => {
        try {
          const answer = reader.push(chunk);
          if (answer) finish(undefined, answer);
        } catch (error) {
          finish(error);
        }
      };
      const onClose = () => {
        const answer = reader.end();
        finish(answer ? undefined : protocolError(`the API socket closed before a whole answer to ${method} ${path}`, 'ECONNRESET'), answer ?? undefined);
      };
      const onError = (error: Error) => finish(error);
      const onAbort = () => finish(signal.reason);
      const finish = (error?: unknown, answer?: ApiResponse) => {
        reading = null;
        connection.off('close', onClose);
        connection.off('error', onError);
        signal.removeEventListener('abort', onAbort);
        // Out of step (an error, an abandoned request, bytes after the answer) or told to close: not reused.
        if (error !== undefined || reader.leftover || reader.closes) drop();
        if (error !== undefined) reject(error);
        else resolve(answer!);
      };
      reading = onData;
      connection.once('close', onClose);
      connection.once('error', onError);
      signal.addEventListener('abort', onAbort, { once: true });
      connection.write(body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : head);
    });
  };

  return {
    request(method, path, headers, body, signal) {
      // One request at a time: the next waits until this one has its answer or has failed; its
      // own signal still ends it while it waits.
      const before = queue;
      const answer = (async () => {
        const head = requestHead(method, path, headers);
        await untilSettledOrAborted(before, signal);
        signal.throwIfAborted();
        return exchange(method, path, head, body, signal);
      })();
      queue = Promise.all([before.catch(() => undefined), answer.catch(() => undefined)]);
      return answer;
    },
    close: drop,
  };
}

interface AnswerHead {
  status: number;
  headers: ApiResponse['headers'];
  /** The body's length; null: to the end of the connection. */
  length: number | null;
}

/** Collects the bytes of one answer and parses it as micro_http writes it. */
export class AnswerReader {
  private bytes: Buffer = Buffer.alloc(0);
  private head: AnswerHead | null = null;
  /** Bytes arrived after the answer (nothing should): the connection is out of step. */
  leftover = false;
  /** The answer said `Connection: close`. */
  closes = false;

  /** `bodiless`: the answer to a HEAD request, which has no body whatever its headers say. */
  constructor(private readonly bodiless = false) {}

  /** Adds bytes; returns the answer once it is whole. Throws on an answer it cannot read. */
  push(chunk: Buffer): ApiResponse | null {
    this.bytes = this.bytes.length === 0 ? chunk : Buffer.concat([this.bytes, chunk]);
    for (;;) {
      if (!this.head) {
        const end = this.bytes.indexOf('\r\n\r\n');
        if (end > MAX_HEAD || (end === -1 && this.bytes.length > MAX_HEAD)) throw protocolError(`the API's answer head is longer than ${MAX_HEAD} bytes`);
        if (end === -1) return null;
        const head = parseHead(this.bytes.subarray(0, end).toString('latin1'), this.bodiless);
        this.bytes = this.bytes.subarray(end + 4);
        // An interim answer (100 Continue): the real one follows.
        if (head.status < 200) continue;
        this.head = head;
        this.closes = /(^|,)\s*close\s*(,|$)/i.test(String(head.headers.connection ?? ''));
      }
      if (this.head.length === null) {
        if (this.bytes.length > MAX_BODY) throw protocolError(`the API's answer body is longer than ${MAX_BODY} bytes`);
        return null; // read to the end of the connection
      }
      if (this.bytes.length < this.head.length) return null;
      this.leftover = this.bytes.length > this.head.length;
      return this.answer(this.head.length);
    }
  }

  /** The connection ended: the answer, if it was one that runs to the end; null otherwise. */
  end(): ApiResponse | null {
    return this.head && this.head.length === null ? this.answer(this.bytes.length) : null;
  }

  private answer(length: number): ApiResponse {
    return { status: this.head!.status, headers: this.head!.headers, text: this.bytes.subarray(0, length).toString('utf8') };
  }
}

/** Parses a status line and header lines. */
function parseHead(text: string, bodiless: boolean): AnswerHead {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (!status) throw protocolError(`the API answered with something that is not an HTTP/1.1 status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const code = Number(status[1]);
  if (code === 101 || code < 100) throw protocolError(`the API answered with status ${code}, which no Firecracker API call answers`);
  const headers: ApiResponse['headers'] = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, Math.max(colon, 0));
    if (colon <= 0 || !TOKEN.test(name)) throw protocolError(`the API answered with a malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers[key];
    headers[key] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  if (headers['transfer-encoding'] !== undefined) throw protocolError(`the API answered with Transfer-Encoding ${String(headers['transfer-encoding'])}, which micro_http never sends`);
  const length = headers['content-length'];
  if (bodiless || code < 200 || code === 204 || code === 304) {
    return { status: code, headers, length: 0 };
  }
  if (length === undefined) return { status: code, headers, length: null };
  if (typeof length !== 'string' || !/^\d{1,10}$/.test(length) || Number(length) > MAX_BODY) throw protocolError(`the API answered with an unusable Content-Length: ${JSON.stringify(length)} (at most ${MAX_BODY} bytes, one header)`);
  return { status: code, headers, length: Number(length) };
}
