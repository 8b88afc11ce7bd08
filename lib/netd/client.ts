import { HostError } from '../errors.ts';
import type { HostSockets } from '../host/types.ts';
import { NetdError } from './errors.ts';
import { MAX_RESPONSE_BYTES, NETD_API_VERSION, type HelloReply, type NetdRequest, type PingReply } from './protocol.ts';

/** How to reach the daemon. */
export interface NetdClientOptions {
  sockets: HostSockets;
  socketPath: string;
  timeoutMs?: number;
}

/** A typed microvm-netd client; every failure is a NetdError carrying a code. */
export interface NetdClient {
  /** Sends one request and returns the parsed, successful reply object. */
  request(request: NetdRequest): Promise<Record<string, unknown>>;
  hello(): Promise<HelloReply>;
  ping(): Promise<PingReply['result']>;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** Parses a reply; an error envelope (flat or nested) becomes a NetdError with the daemon's code. */
export function parseNetdReply(raw: Buffer, op: string): Record<string, unknown> {
  const text = raw.toString('utf8').trim();
  if (text === '') throw protocolError(op, 'empty response from netd');
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    throw protocolError(op, `invalid JSON from netd: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (!reply || typeof reply !== 'object' || Array.isArray(reply)) throw protocolError(op, 'netd answered with something that is not a JSON object');
  const object = reply as Record<string, unknown>;
  if (object.ok === true) return object;
  const error = object.error;
  const nested = error && typeof error === 'object' ? (error as Record<string, unknown>) : null;
  const code = String(nested ? (nested.code ?? 'UNKNOWN') : (error ?? 'UNKNOWN'));
  const message = String(nested ? (nested.message ?? '') : (object.message ?? ''));
  throw new NetdError({ code, summary: `netd refused ${op}: ${code}${message ? `: ${message}` : ''}`, reason: code });
}

function protocolError(op: string, summary: string): NetdError {
  return new NetdError({
    code: 'NETD_PROTOCOL_ERROR',
    summary: `${op}: ${summary}`,
    hint: 'Something other than microvm-netd may be listening on the socket; check what owns it.',
  });
}

/** Creates a client over the host's unix sockets. */
export function createNetdClient(options: NetdClientOptions): NetdClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client: NetdClient = {
    async request(request) {
      let raw: Buffer;
      try {
        raw = await options.sockets.unixRequest(options.socketPath, Buffer.from(JSON.stringify(request)), {
          timeoutMs,
          maxResponseBytes: MAX_RESPONSE_BYTES,
        });
      } catch (error) {
        const errno = error instanceof HostError ? error.errno : undefined;
        throw new NetdError({
          code: errno === 'EACCES' ? 'EACCES' : 'NETD_UNAVAILABLE',
          summary: `cannot reach microvm-netd at ${options.socketPath}: ${errno ?? (error as Error).message}`,
          attempted: `${request.op} on ${options.socketPath}`,
          reason: errno,
          cause: error,
        });
      }
      return parseNetdReply(raw, request.op);
    },
    async hello() {
      const reply = (await client.request({ op: 'hello' })) as unknown as HelloReply;
      if (reply.api_version !== NETD_API_VERSION) {
        throw new NetdError({
          code: 'NETD_COMPAT_ERROR',
          summary: `microvm-netd API version mismatch: got ${String(reply.api_version)}, need ${NETD_API_VERSION}`,
        });
      }
      return reply;
    },
    async ping() {
      const reply = (await client.request({ op: 'ping' })) as unknown as PingReply;
      if (!reply.result || reply.result.status !== 'ok') throw protocolError('ping', 'ping reply without result.status "ok"');
      return reply.result;
    },
  };
  return client;
}
