import { HostError } from '../errors.ts';
import type { HostSockets } from '../host/types.ts';
import { NetdError } from './errors.ts';
import { checkLabId, labLinkNames, type LabLinkNames } from './names.ts';
import {
  MAX_RESPONSE_BYTES,
  NETD_API_VERSION,
  REQUIRED_OPS,
  type AllocResult,
  type DiagResult,
  type HelloReply,
  type ListResult,
  type NetdRequest,
  type PingReply,
  type ReleaseResult,
} from './protocol.ts';
import { readAllocResult, readDiagResult, readListResult, readReleaseResult, resultOf, shapeError } from './reply-shapes.ts';

/** How to reach the daemon. */
export interface NetdClientOptions {
  sockets: HostSockets;
  socketPath: string;
  /** Per call (connect, send, answer). Default 5 s, as upstream's client. */
  timeoutMs?: number;
}

/** Per-call options. */
export interface CallOptions {
  /** Abandons the call at once (the boot's stage deadline or an interrupted run); rejects with its reason. */
  signal?: AbortSignal;
}

/** A typed microvm-netd client; every failure is a NetdError carrying a code. */
export interface NetdClient {
  /** Sends one request and returns the parsed, successful reply object (error replies throw with the daemon's code). */
  request(request: NetdRequest, options?: { maxResponseBytes?: number } & CallOptions): Promise<Record<string, unknown>>;
  /** The handshake: checks api_version and that every op in `requiredOps` (default alloc/release/diag) is supported. */
  hello(requiredOps?: readonly string[]): Promise<HelloReply>;
  ping(): Promise<PingReply['result']>;
  /** Creates (or confirms) the lab's bridge and TAP. */
  alloc(labId: string, options?: CallOptions): Promise<AllocResult>;
  /** Deletes the lab's bridge and TAP; succeeds when they are already gone. */
  release(labId: string, options?: CallOptions): Promise<ReleaseResult>;
  diag(labId: string): Promise<DiagResult>;
  list(): Promise<ListResult>;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** Enough for tens of thousands of labs; a larger answer is hostile. */
const MAX_LIST_RESPONSE_BYTES = 8 * 1024 * 1024;

/** What to do next, per code, for the codes a caller can act on. */
const HINTS: Record<string, string> = {
  EACCES: 'Join the socket group (sudo usermod -aG octolab $USER) and start a new login session (WSL: wsl --terminate <distro>).',
  NETD_UNAVAILABLE: 'Start microvm-netd: sudo systemctl start microvm-netd, or sudo bin/run-netd.sh --daemon.',
  LAB_COLLISION: 'Another lab shares the first 10 hex digits of this lab id: release it first, or use another lab id.',
  NAME_IN_USE: 'A device with this name exists and is not owned by a lab: inspect it with ip -d link show, and remove it by hand if it is debris.',
  TAP_OWNER_MISMATCH: "The lab's TAP was made for another --tap-owner and a VM holds it open: stop that VM and alloc again, or run microvm-netd with the TAP's owner as --tap-owner.",
  EPERM: 'microvm-netd lacks CAP_NET_ADMIN: run it as root (systemd unit or bin/run-netd.sh).',
  TOO_MANY_CONNECTIONS: 'microvm-netd is serving its maximum of connections at once: retry shortly, and keep fewer requests in flight (it serves 128 at once).',
};

/** The hint for a daemon's error code; codes come from the wire, so only the table's own keys count. */
function hintFor(code: string): string | undefined {
  return Object.hasOwn(HINTS, code) ? HINTS[code] : undefined;
}

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
  const code = clipText(String(nested ? (nested.code ?? 'UNKNOWN') : (error ?? 'UNKNOWN')), 64);
  const message = clipText(String(nested ? (nested.message ?? '') : (object.message ?? '')), 500);
  throw new NetdError({ code, summary: `netd refused ${op}: ${code}${message ? `: ${message}` : ''}`, reason: code, hint: hintFor(code) });
}

function clipText(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 3)}...` : text;
}

function protocolError(op: string, summary: string): NetdError {
  return new NetdError({
    code: 'NETD_PROTOCOL_ERROR',
    summary: `${op}: ${summary}`,
    hint: 'Something other than microvm-netd may be listening on the socket; check what owns it.',
  });
}

/** Validates the lab id before anything is sent: a bad id fails here with the daemon's own code. */
function namesFor(labId: string, op: string): LabLinkNames {
  const checked = checkLabId(labId);
  if (!checked.ok) throw new NetdError({ code: checked.code, summary: `${op}: ${checked.message}`, reason: checked.code, attempted: `${op} ${JSON.stringify(String(labId).slice(0, 60))}` });
  return labLinkNames(checked.labId);
}

/** An UNKNOWN_OP answer to a typed call means the daemon speaks another version of the protocol. */
function compatible<T>(op: string, call: Promise<T>): Promise<T> {
  return call.catch((error: unknown) => {
    if (error instanceof NetdError && error.code === 'UNKNOWN_OP') {
      throw new NetdError({ code: 'NETD_COMPAT_ERROR', summary: `microvm-netd does not support ${op} (likely an outdated netd)`, reason: 'UNKNOWN_OP', cause: error });
    }
    throw error;
  });
}

/** Creates a client over the host's unix sockets. */
export function createNetdClient(options: NetdClientOptions): NetdClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client: NetdClient = {
    async request(request, limits = {}) {
      let raw: Buffer;
      try {
        raw = await options.sockets.unixRequest(options.socketPath, Buffer.from(JSON.stringify(request)), {
          timeoutMs,
          maxResponseBytes: limits.maxResponseBytes ?? MAX_RESPONSE_BYTES,
          signal: limits.signal,
        });
      } catch (error) {
        // Abandoned by the caller: its reason, not a daemon problem.
        if (limits.signal?.aborted) throw limits.signal.reason;
        const errno = error instanceof HostError ? error.errno : undefined;
        const code = errno === 'EACCES' ? 'EACCES' : 'NETD_UNAVAILABLE';
        throw new NetdError({
          code,
          summary: `cannot reach microvm-netd at ${options.socketPath}: ${errno ?? (error as Error).message}`,
          attempted: `${request.op} on ${options.socketPath}`,
          reason: errno,
          hint: hintFor(code),
          cause: error,
        });
      }
      return parseNetdReply(raw, request.op);
    },
    async hello(requiredOps = REQUIRED_OPS) {
      const reply = await compatible('hello', client.request({ op: 'hello' }));
      if (reply.api_version === undefined) throw shapeError('hello', 'microvm-netd handshake failed (no api_version in response)');
      if (reply.api_version !== NETD_API_VERSION) {
        throw new NetdError({
          code: 'NETD_COMPAT_ERROR',
          summary: `microvm-netd API version mismatch: got ${clipText(JSON.stringify(reply.api_version) ?? '?', 20)}, need ${NETD_API_VERSION}`,
        });
      }
      const supported = Array.isArray(reply.supported_ops) ? reply.supported_ops.filter((op): op is string => typeof op === 'string') : [];
      const missing = requiredOps.filter((op) => !supported.includes(op));
      if (missing.length > 0) {
        throw new NetdError({
          code: 'NETD_COMPAT_ERROR',
          summary: `microvm-netd API mismatch (wrong daemon behind socket). Required ops: [${requiredOps.join(', ')}]; supported ops: [${clipText(supported.join(', '), 200)}]; api_version: ${NETD_API_VERSION}`,
          reason: `missing ${missing.join(', ')}`,
        });
      }
      return { ok: true, name: String(reply.name ?? ''), api_version: NETD_API_VERSION, supported_ops: supported, build_id: String(reply.build_id ?? '') };
    },
    async ping() {
      const reply = (await client.request({ op: 'ping' })) as unknown as PingReply;
      if (!reply.result || reply.result.status !== 'ok') throw protocolError('ping', 'ping reply without result.status "ok"');
      return reply.result;
    },
    async alloc(labId, callOptions = {}) {
      const names = namesFor(labId, 'alloc_vm_net');
      const reply = await compatible('alloc_vm_net', client.request({ op: 'alloc_vm_net', lab_id: names.labId }, callOptions));
      return readAllocResult(resultOf(reply, 'alloc_vm_net'), names, 'alloc_vm_net');
    },
    async release(labId, callOptions = {}) {
      const names = namesFor(labId, 'release_vm_net');
      const reply = await compatible('release_vm_net', client.request({ op: 'release_vm_net', lab_id: names.labId }, callOptions));
      return readReleaseResult(resultOf(reply, 'release_vm_net'), names, 'release_vm_net');
    },
    async diag(labId) {
      const names = namesFor(labId, 'diag_vm_net');
      const reply = await compatible('diag_vm_net', client.request({ op: 'diag_vm_net', lab_id: names.labId }));
      return readDiagResult(resultOf(reply, 'diag_vm_net'), names, 'diag_vm_net');
    },
    async list() {
      // A list grows with the labs (about 250 bytes each): it may exceed upstream's 16 KiB reply limit.
      const reply = await compatible('list', client.request({ op: 'list' }, { maxResponseBytes: MAX_LIST_RESPONSE_BYTES }));
      return readListResult(resultOf(reply, 'list'), 'list');
    },
  };
  return client;
}
