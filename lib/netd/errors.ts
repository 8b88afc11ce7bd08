import { VerifyError, type ErrorParts } from '../errors.ts';
import type { NetdErrorCode } from './protocol.ts';

/** A netd call failed: `code` is the daemon's error code or one of the client's own (NETD_UNAVAILABLE, NETD_PROTOCOL_ERROR, NETD_COMPAT_ERROR, EACCES). */
export class NetdError extends VerifyError {
  constructor(parts: ErrorParts) {
    super(parts);
  }
}

/** The daemon refused or failed one op; it becomes the flat error reply `{ok:false, error:code, message}`. */
export class NetdOpError extends VerifyError {
  declare readonly code: NetdErrorCode;
  constructor(code: NetdErrorCode, message: string, parts: Omit<ErrorParts, 'code' | 'summary'> = {}) {
    super({ code, summary: message, ...parts });
  }
}

/** The daemon could not start (not root, group missing, another daemon live, path not a socket…). */
export class NetdStartupError extends VerifyError {}
