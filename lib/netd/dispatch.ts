import { NetdOpError } from './errors.ts';
import type { LabNetwork } from './lab-network.ts';
import { checkLabId, type LabId } from './names.ts';
import {
  NETD_API_VERSION,
  NETD_BUILD_ID,
  NETD_DESIGN,
  NETD_NAME,
  NETD_OPS,
  NETD_PING_VERSION,
  errorReply,
  type NetdErrorCode,
  type NetdOp,
  type NetdReply,
} from './protocol.ts';

/** What the dispatcher needs: the lab operations, and a clock for ping's `ts`. */
export interface DispatchOptions {
  network: LabNetwork;
  buildId?: string;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /** Receives unexpected failures (their detail never reaches the client). */
  onInternalError?: (error: unknown) => void;
}

/** One answered request: the reply and the facts its log line needs (already safe to print). */
export interface Dispatched {
  reply: NetdReply;
  /** The op if it is one of ours, else `?` (a hostile op never reaches the log). */
  op: string;
  /** The normalised lab id, or null when there was none or it was invalid. */
  labId: string | null;
  /** `ok` or the error code. */
  result: 'ok' | NetdErrorCode;
}

const LAB_OPS = new Set<string>(['alloc_vm_net', 'release_vm_net', 'diag_vm_net', 'create', 'destroy']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Returns a function that turns one request's bytes into its reply; it never throws. */
export function createDispatcher(options: DispatchOptions): (bytes: Buffer) => Promise<Dispatched> {
  const now = options.now ?? Date.now;
  const supported = [...NETD_OPS].sort();

  async function run(op: NetdOp, labId: LabId | null, offset: number): Promise<NetdReply> {
    switch (op) {
      case 'hello':
        return { ok: true, name: NETD_NAME, api_version: NETD_API_VERSION, supported_ops: supported, build_id: options.buildId ?? NETD_BUILD_ID, design: NETD_DESIGN };
      case 'ping':
        return { ok: true, result: { status: 'ok', version: NETD_PING_VERSION, ts: Math.floor(now() / 1000) } };
      case 'list':
        return { ok: true, result: await options.network.list(offset) };
      case 'alloc_vm_net':
      case 'create':
        return { ok: true, result: await options.network.alloc(labId!) };
      case 'release_vm_net':
      case 'destroy':
        return { ok: true, result: await options.network.release(labId!) };
      case 'diag_vm_net':
        return { ok: true, result: await options.network.diag(labId!) };
    }
  }

  return async (bytes) => {
    const fail = (code: NetdErrorCode, message: string, op = '-', labId: string | null = null): Dispatched => ({
      reply: errorReply(code, message),
      op,
      labId,
      result: code,
    });
    let request: unknown;
    try {
      request = JSON.parse(utf8.decode(bytes));
    } catch {
      return fail('INVALID_JSON', 'Invalid JSON request');
    }
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      return fail('INVALID_REQUEST', 'request must be a JSON object with a string "op"');
    }
    const fields = request as Record<string, unknown>;
    const rawOp = Object.hasOwn(fields, 'op') ? fields.op : undefined;
    if (typeof rawOp !== 'string' || !(NETD_OPS as readonly string[]).includes(rawOp)) {
      return fail('UNKNOWN_OP', `Unknown operation: ${describeOp(rawOp)}; supported: ${supported.join(', ')}`, '?');
    }
    const op = rawOp as NetdOp;
    let labId: LabId | null = null;
    if (LAB_OPS.has(op)) {
      const checked = checkLabId(Object.hasOwn(fields, 'lab_id') ? fields.lab_id : undefined);
      if (!checked.ok) return fail(checked.code, checked.message, op);
      labId = checked.labId;
    }
    let offset = 0;
    if (op === 'list' && Object.hasOwn(fields, 'offset')) {
      if (typeof fields.offset !== 'number' || !Number.isSafeInteger(fields.offset) || fields.offset < 0) {
        return fail('INVALID_REQUEST', 'list: offset must be a non-negative integer (the next_offset of the previous page)', op);
      }
      offset = fields.offset;
    }
    try {
      return { reply: await run(op, labId, offset), op, labId, result: 'ok' };
    } catch (error) {
      if (error instanceof NetdOpError) return fail(error.code, error.summary, op, labId);
      options.onInternalError?.(error);
      return fail('INTERNAL_ERROR', 'Internal server error', op, labId);
    }
  };
}

/** Describes a client's op for the error message: short, quoted, never raw bytes. */
function describeOp(op: unknown): string {
  if (op === undefined) return '(missing)';
  const text = JSON.stringify(op) ?? String(op);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
