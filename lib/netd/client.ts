import { HostError } from '../errors.ts';
import type { HostSockets } from '../host/types.ts';
import { NO_HELLO_GUESS } from './design.ts';
import { NetdError } from './errors.ts';
import { checkLabId, labLinkNames, type LabLinkNames } from './names.ts';
import { MAX_CONNECTIONS, MAX_PEER_CONNECTIONS, MAX_RESPONSE_BYTES, NETD_API_VERSION, REQUEST_DEADLINE_MS, REQUIRED_OPS, type NetdRequest } from './protocol.ts';
import { cleanText, readHello, readPing, resultOf, shapeError, type WireObject } from './reply-shapes.ts';
import { readAlloc, readRelease } from './views-alloc.ts';
import { readDiag } from './views-diag.ts';
import { hasNextPage, mergeListPages, readListPage, type ListPage } from './views-list.ts';
import type { AllocView, DiagView, HelloView, ListView, NetdIdentity, PingView, ReleaseView } from './views.ts';

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

/**
 * A typed microvm-netd client for both designs (per-lab obr/otp, shared-bridge br-octonet); every
 * failure is a NetdError carrying a code. Results are the views of views.ts.
 */
export interface NetdClient {
  /** Sends one request and returns the parsed, successful reply object (error replies throw with the daemon's code). */
  request(request: NetdRequest, options?: { maxResponseBytes?: number } & CallOptions): Promise<WireObject>;
  /** The handshake: checks api_version and that every op in `requiredOps` (default alloc/release/diag) is supported. */
  hello(requiredOps?: readonly string[]): Promise<HelloView>;
  /** Like hello, but a daemon without hello (UNKNOWN_OP: the old per-lab one) is an answer, not an error. */
  identify(requiredOps?: readonly string[]): Promise<NetdIdentity>;
  /** ping; a bare `{"ok":true}` is accepted and what it lacks is named in `missing`. */
  ping(): Promise<PingView>;
  /** Creates (or confirms) the lab's TAP and, per-lab, its bridge; returns the guest's parameters too. */
  alloc(labId: string, options?: CallOptions): Promise<AllocView>;
  /** Deletes the lab's TAP (and, per-lab, its bridge); succeeds when they are already gone. */
  release(labId: string, options?: CallOptions): Promise<ReleaseView>;
  diag(labId: string, options?: CallOptions): Promise<DiagView>;
  /** Every page of `list`, merged. */
  list(options?: CallOptions): Promise<ListView>;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** The first list page: old per-lab daemons send the whole list at once (about 270 bytes a lab). */
const MAX_LIST_RESPONSE_BYTES = 8 * 1024 * 1024;
/** Bounds on a paged list: a daemon that pages forever is hostile. */
const MAX_LIST_PAGES = 256;
const MAX_LIST_ENTRIES = 65_536;

/** What to do next, per code, for the codes a caller can act on. */
const HINTS: Record<string, string> = {
  EACCES: 'Join the socket group (sudo usermod -aG octolab $USER) and start a new login session (WSL: wsl --terminate <distro>).',
  NETD_UNAVAILABLE: 'Start microvm-netd: sudo systemctl start microvm-netd, or sudo bin/run-netd.sh --daemon.',
  LAB_COLLISION: 'Another lab shares the first 10 hex digits of this lab id: release it first, or use another lab id.',
  NAME_IN_USE: 'A device with this name exists and is not owned by a lab: inspect it with ip -d link show, and remove it by hand if it is debris.',
  TAP_OWNER_MISMATCH: "The lab's TAP was made for another --tap-owner and a VM holds it open: stop that VM and alloc again, or run microvm-netd with the TAP's owner as --tap-owner.",
  EPERM: 'microvm-netd lacks CAP_NET_ADMIN: run it as root (systemd unit or bin/run-netd.sh).',
  TOO_MANY_CONNECTIONS:
    'microvm-netd is serving its maximum of connections, or this user its share of them: retry shortly, keep fewer requests in flight and close idle connections ' +
    `(by default this project's microvm-netd serves ${MAX_CONNECTIONS} at once, at most ${MAX_PEER_CONNECTIONS} per client uid, ` +
    `and ends a connection whose request has not arrived within ${REQUEST_DEADLINE_MS / 1000} s; see netd serve --max-connections, --max-peer-connections and --request-timeout).`,
};

/** The hint for a daemon's error code; codes come from the wire, so only the table's own keys count. */
function hintFor(code: string): string | undefined {
  return Object.hasOwn(HINTS, code) ? HINTS[code] : undefined;
}

/** Parses a reply; an error envelope (flat or nested) becomes a NetdError with the daemon's code. */
export function parseNetdReply(raw: Buffer, op: string): WireObject {
  const text = raw.toString('utf8').trim();
  if (text === '') throw protocolError(op, 'empty response from netd');
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    throw protocolError(op, `invalid JSON from netd: ${JSON.stringify(cleanText(text.slice(0, 80), 80))}`);
  }
  if (!reply || typeof reply !== 'object' || Array.isArray(reply)) throw protocolError(op, 'netd answered with something that is not a JSON object');
  const object = reply as WireObject;
  if (Object.hasOwn(object, 'ok') && object.ok === true) return object;
  const error = Object.hasOwn(object, 'error') ? object.error : undefined;
  const nested = error && typeof error === 'object' && !Array.isArray(error) ? (error as WireObject) : null;
  const field = (from: WireObject, key: string) => (Object.hasOwn(from, key) ? from[key] : undefined);
  const code = cleanText(String(nested ? (field(nested, 'code') ?? 'UNKNOWN') : (error ?? 'UNKNOWN')), 64);
  const message = cleanText(String(nested ? (field(nested, 'message') ?? '') : (field(object, 'message') ?? '')), 500);
  throw new NetdError({ code, summary: `netd refused ${op}: ${code}${message ? `: ${message}` : ''}`, reason: code, hint: hintFor(code) });
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

/** The error upstream's client raises for a daemon without hello. */
function missingHello(cause: NetdError): NetdError {
  return new NetdError({
    code: 'NETD_COMPAT_ERROR',
    summary: 'microvm-netd handshake failed (missing hello); likely outdated netd: the old per-lab daemon, which predates the handshake',
    reason: 'UNKNOWN_OP',
    hint: "Update microvm-netd: OctoLab's current backend needs hello (and alloc_vm_net, release_vm_net, diag_vm_net).",
    cause,
  });
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

/** Checks a hello's api_version and required ops; returns the view. */
function checkedHello(reply: WireObject, requiredOps: readonly string[]): HelloView {
  const { view, apiVersion } = readHello(reply);
  if (apiVersion === undefined) throw shapeError('hello', 'microvm-netd handshake failed (no api_version in response)');
  if (apiVersion !== NETD_API_VERSION) {
    throw new NetdError({ code: 'NETD_COMPAT_ERROR', summary: `microvm-netd API version mismatch: got ${cleanText(JSON.stringify(apiVersion) ?? '?', 20)}, need ${NETD_API_VERSION}` });
  }
  const missing = requiredOps.filter((op) => !view.supported_ops.includes(op));
  if (missing.length > 0) {
    throw new NetdError({
      code: 'NETD_COMPAT_ERROR',
      summary: `microvm-netd API mismatch (wrong daemon behind socket). Required ops: [${requiredOps.join(', ')}]; supported ops: [${cleanText(view.supported_ops.join(', '), 200)}]; api_version: ${NETD_API_VERSION}`,
      reason: `missing ${missing.join(', ')}`,
    });
  }
  return view;
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
      const identity = await client.identify(requiredOps);
      if (identity.hello === null) throw missingHello(new NetdError({ code: 'UNKNOWN_OP', summary: 'netd refused hello: UNKNOWN_OP' }));
      return identity.hello;
    },
    async identify(requiredOps = REQUIRED_OPS) {
      let reply: WireObject;
      try {
        reply = await client.request({ op: 'hello' });
      } catch (error) {
        if (error instanceof NetdError && error.code === 'UNKNOWN_OP') return { hello: null, design: NO_HELLO_GUESS.design, design_evidence: NO_HELLO_GUESS.evidence };
        throw error;
      }
      const hello = checkedHello(reply, requiredOps);
      return { hello, design: hello.design, design_evidence: hello.design_evidence };
    },
    async ping() {
      return readPing(await client.request({ op: 'ping' }));
    },
    async alloc(labId, callOptions = {}) {
      const names = namesFor(labId, 'alloc_vm_net');
      const reply = await compatible('alloc_vm_net', client.request({ op: 'alloc_vm_net', lab_id: names.labId }, callOptions));
      return readAlloc(resultOf(reply, 'alloc_vm_net'), names, 'alloc_vm_net');
    },
    async release(labId, callOptions = {}) {
      const names = namesFor(labId, 'release_vm_net');
      const reply = await compatible('release_vm_net', client.request({ op: 'release_vm_net', lab_id: names.labId }, callOptions));
      return readRelease(resultOf(reply, 'release_vm_net'), names, 'release_vm_net');
    },
    async diag(labId, callOptions = {}) {
      const names = namesFor(labId, 'diag_vm_net');
      const reply = await compatible('diag_vm_net', client.request({ op: 'diag_vm_net', lab_id: names.labId }, callOptions));
      return readDiag(resultOf(reply, 'diag_vm_net'), names, 'diag_vm_net');
    },
    async list(callOptions = {}) {
      const pages: ListPage[] = [];
      let offset = 0;
      let entries = 0;
      for (;;) {
        const request: NetdRequest = offset === 0 ? { op: 'list' } : { op: 'list', offset };
        // Only the first page may be large (an old daemon's whole list); a paging daemon keeps every page within upstream's 16 KiB.
        const maxResponseBytes = offset === 0 ? MAX_LIST_RESPONSE_BYTES : MAX_RESPONSE_BYTES;
        const reply = await compatible('list', client.request(request, { maxResponseBytes, ...callOptions }));
        const page = readListPage(resultOf(reply, 'list'), 'list');
        pages.push(page);
        entries += page.entries.length;
        if (!hasNextPage(page)) break;
        if (page.next_offset <= offset) throw shapeError('list', `next_offset ${page.next_offset} does not advance past offset ${offset}`);
        if (pages.length >= MAX_LIST_PAGES || entries > MAX_LIST_ENTRIES) throw shapeError('list', `more than ${MAX_LIST_PAGES} pages or ${MAX_LIST_ENTRIES} interfaces: stopped reading`);
        offset = page.next_offset;
      }
      return mergeListPages(pages);
    },
  };
  return client;
}
