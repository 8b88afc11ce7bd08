import { VerifyError, type ErrorParts } from '../errors.ts';

/** A netd call failed: `code` is the daemon's error code or one of the client's own (NETD_UNAVAILABLE, NETD_PROTOCOL_ERROR, NETD_COMPAT_ERROR). */
export class NetdError extends VerifyError {
  constructor(parts: ErrorParts) {
    super(parts);
  }
}
