/**
 * microvm-netd wire protocol, api_version 1 (upstream-compatible): one JSON request per
 * connection, one JSON reply, then close; a request is at most 4096 bytes.
 */

export const NETD_API_VERSION = 1;
export const NETD_NAME = 'microvm-netd';
export const MAX_REQUEST_BYTES = 4096;
/** Upstream's client reads at most this much of a reply. */
export const MAX_RESPONSE_BYTES = 16384;

/** The operations of api_version 1 (create/destroy are the legacy names of alloc/release). */
export const NETD_OPS = ['hello', 'ping', 'alloc_vm_net', 'release_vm_net', 'diag_vm_net', 'list', 'create', 'destroy'] as const;
export type NetdOp = (typeof NETD_OPS)[number];

/** A request as sent on the wire. */
export interface NetdRequest {
  op: NetdOp | (string & {});
  lab_id?: string;
}

/** `hello`: top-level fields, no `result` wrapper (as upstream). */
export interface HelloReply {
  ok: true;
  name: string;
  api_version: number;
  supported_ops: string[];
  build_id: string;
}

/** `ping`. */
export interface PingReply {
  ok: true;
  result: { status: 'ok'; version: string; ts: number };
}

/** The flat error envelope this daemon sends. */
export interface FlatErrorReply {
  ok: false;
  error: string;
  message: string;
}

/** The nested error envelope some upstream handlers send; the client accepts it too. */
export interface NestedErrorReply {
  ok: false;
  error: { code: string; message: string };
}

export type ErrorReply = FlatErrorReply | NestedErrorReply;
