/**
 * microvm-netd wire protocol, api_version 1 (upstream-compatible): one JSON request per
 * connection, one JSON reply, then close; a request is at most 4096 bytes. `hello` answers with
 * top-level fields; every other success carries its data under `result` (as upstream does).
 */

/** The protocol version and daemon name `hello` reports (upstream's values). */
export const NETD_API_VERSION = 1;
export const NETD_NAME = 'microvm-netd';
/** The build id `hello` reports: this implementation, protocol 1. */
export const NETD_BUILD_ID = 'octolab-verify-netd-1';
/** The version `ping` reports (upstream: "1.0"). */
export const NETD_PING_VERSION = '1.0';
/** A longer request is answered REQUEST_TOO_LARGE (upstream's recv size). */
export const MAX_REQUEST_BYTES = 4096;
/** Upstream's client reads at most this much of a reply; every reply of this daemon fits in it. */
export const MAX_RESPONSE_BYTES = 16384;
/** The design `hello` reports: one bridge and one TAP per lab (upstream's current daemon is shared-bridge). */
export const NETD_DESIGN = 'per-lab';
/** Connections this daemon serves at once by default (`netd serve --max-connections`): room for a busy backend and for everyone else. */
export const MAX_CONNECTIONS = 256;
/** Its default share of one client uid (`--max-peer-connections`): half the limit, so no single client can take every slot. */
export const MAX_PEER_CONNECTIONS = 128;
/** Its default deadline for a connection's whole request, from connecting (`--request-timeout`): every known client sends it at once. */
export const REQUEST_DEADLINE_MS = 2000;

/** The operations of api_version 1 (create/destroy are the legacy names of alloc/release). */
export const NETD_OPS = ['hello', 'ping', 'alloc_vm_net', 'release_vm_net', 'diag_vm_net', 'list', 'create', 'destroy'] as const;
/** One of the ops above. */
export type NetdOp = (typeof NETD_OPS)[number];

/** The ops a client needs before it trusts the daemon behind a socket (as upstream's client). */
export const REQUIRED_OPS: readonly NetdOp[] = ['alloc_vm_net', 'release_vm_net', 'diag_vm_net'];

/**
 * Every error code the daemon sends, with what it means. Stable: clients branch on them.
 * Link failures name the step that failed; EPERM wins whenever the kernel said "not permitted".
 */
export const NETD_ERROR_CODES = {
  INVALID_JSON: 'the request is not valid UTF-8 JSON',
  INVALID_REQUEST: 'the request is JSON but not an object, or list got an offset that is not a non-negative integer',
  EMPTY_REQUEST: 'the client closed its side without sending anything',
  REQUEST_TOO_LARGE: 'the request exceeds 4096 bytes',
  REQUEST_TIMEOUT: 'no complete request arrived within the request deadline (default 2 s from connecting)',
  UNKNOWN_OP: 'the op is not one of supported_ops',
  MISSING_LAB_ID: 'the op needs lab_id and none (or an empty one) was given',
  INVALID_LAB_ID: 'lab_id is not a UUID',
  LAB_COLLISION: 'another lab whose id shares the first 10 hex digits owns the devices',
  NAME_IN_USE: 'a device with the derived name exists and is not owned by any lab (or is of the wrong kind); one without alias is adopted only as an interrupted alloc leaves it',
  TAP_OWNER_MISMATCH: "the lab's TAP belongs to another uid than --tap-owner and a process holds it open, so it cannot be recreated",
  EPERM: 'the kernel refused a link operation (the daemon lacks CAP_NET_ADMIN)',
  LINK_QUERY_FAILED: 'listing the links failed',
  CREATE_FAILED: 'creating the bridge or the TAP failed',
  ALIAS_FAILED: 'recording the owner alias on a device failed',
  ATTACH_FAILED: 'enslaving the TAP to the bridge failed',
  UP_FAILED: 'setting a device up failed',
  DELETE_FAILED: 'deleting a device failed',
  SHUTTING_DOWN: 'the daemon is stopping and takes no new requests',
  TOO_MANY_CONNECTIONS: 'the daemon already serves its maximum of open connections, or this client (uid) its share of them; retry shortly',
  POOL_EXHAUSTED: 'every lab subnet of the address pool is in use; the message names the pool and the fix',
  ADDRESS_FAILED: "assigning the lab's gateway address to its bridge failed",
  INTERNAL_ERROR: 'an unexpected failure inside the daemon',
} as const;
/** One of the error codes above. */
export type NetdErrorCode = keyof typeof NETD_ERROR_CODES;

/** A request as sent on the wire. */
export interface NetdRequest {
  op: NetdOp | (string & {});
  lab_id?: string;
  /** `list` only: the first entry to return (a non-negative integer; default 0). */
  offset?: number;
}

/*
 * The replies this daemon sends. The client reads any daemon's replies (both designs, older
 * versions) into its own views (views.ts), never into these types.
 */

/** `hello`: top-level fields, no `result` wrapper (as upstream). */
export interface HelloReply {
  ok: true;
  name: string;
  api_version: number;
  supported_ops: string[];
  build_id: string;
  /** This daemon's addition (upstream's hello has no design field). */
  design: typeof NETD_DESIGN;
}

/** `ping`. */
export interface PingReply {
  ok: true;
  result: { status: 'ok'; version: string; ts: number };
}

/** What a lab's guest is configured with (upstream's VMNetworkParams): its address, the gateway on the lab's bridge, the netmask and DNS server. */
export interface NetworkParams {
  guest_ip: string;
  gateway: string;
  netmask: string;
  dns: string;
}

/**
 * `alloc_vm_net` / `create`: the lab's devices (both exist and are up, the TAP enslaved), the
 * gateway address on the bridge and the guest's parameters, so every field upstream's client
 * requires is present (tap, guest_ip, gateway, netmask, dns, bridge). Keys in this order on the wire.
 */
export interface PerLabAllocResult extends NetworkParams {
  lab_id: string;
  /** The last 6 characters of lab_id (upstream sends it with every lab op). */
  lab_id_suffix: string;
  bridge: string;
  tap: string;
  /** False when both devices already existed (an idempotent repeat, or a repair of existing devices). */
  created: boolean;
}

/** `release_vm_net` / `destroy`: the name of each device deleted, or null when it was already gone. */
export interface PerLabReleaseResult {
  lab_id: string;
  lab_id_suffix: string;
  bridge_deleted: string | null;
  tap_deleted: string | null;
}

/** One device as `diag_vm_net` reports it. */
export interface DiagLink {
  name: string;
  exists: boolean;
  /** The owner recorded in the alias (null: absent, or no octolab alias). */
  owner_lab_id: string | null;
  /** True when the alias names exactly this lab. */
  owned: boolean;
  /** `bridge`, `tap`, `tun` or the kernel's kind (null when absent). */
  kind: string | null;
  /** Administratively up (IFF_UP). A TAP nobody has opened is up with operstate "down". */
  up: boolean;
  /** The kernel's operstate, lower-cased (null when absent). */
  state: string | null;
  master: string | null;
}

/** The TAP as `diag_vm_net` reports it: also its owner, and whether that is the one this daemon gives TAPs. */
export interface DiagTapLink extends DiagLink {
  owner_uid: number | null;
  /** This daemon's --tap-owner (null: none). */
  owner_expected: number | null;
  /** The TAP exists and its owner is owner_expected: the VMM user this daemon serves can open it. */
  owner_matches: boolean;
}

/** `diag_vm_net`. */
export interface PerLabDiagResult {
  lab_id: string;
  lab_id_suffix: string;
  bridge: DiagLink;
  tap: DiagTapLink;
  /** The guest's parameters, read from the pool address on the lab's own bridge; null when it carries none (then not healthy). */
  network_params: NetworkParams | null;
  /**
   * Both exist and are owned by this lab, both are up, the TAP is enslaved to the bridge, its
   * owner is owner_expected, and the bridge carries the lab's gateway address (network_params not null).
   */
  healthy: boolean;
}

/** One device in `list`, in upstream's entry format. */
export interface ListEntry {
  name: string;
  /** From the name's family: obr → bridge, otp → tap. */
  type: 'bridge' | 'tap';
  /** Present (false) only for an obr/otp device without a valid owner record of its own lab. */
  owned?: false;
}

/**
 * `list`: the obr/otp devices ordered by lab prefix, a lab's bridge before its TAP, from the
 * request's offset for as many as fit in one 16,384-byte reply (150 labs always do).
 */
export interface PerLabListResult {
  interfaces: ListEntry[];
  /** Devices in all pages. */
  count: number;
  /** True when entries after this page exist; then next_offset is where to ask next. */
  truncated: boolean;
  next_offset?: number;
}

/** A successful reply that carries `result`. */
export interface ResultReply<T> {
  ok: true;
  result: T;
}

/** The flat error envelope this daemon sends. */
export interface FlatErrorReply {
  ok: false;
  error: string;
  message: string;
}

/** The nested error envelope some of upstream's handlers send (this daemon never does); the client accepts it too. */
export interface NestedErrorReply {
  ok: false;
  error: { code: string; message: string };
}

/** Any reply this daemon sends. */
export type NetdReply = HelloReply | PingReply | ResultReply<PerLabAllocResult | PerLabReleaseResult | PerLabDiagResult | PerLabListResult> | FlatErrorReply;

/** Builds the flat error envelope. */
export function errorReply(code: NetdErrorCode, message: string): FlatErrorReply {
  return { ok: false, error: code, message };
}
