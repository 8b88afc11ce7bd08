import { HostError, errnoOf } from '../errors.ts';

/** Wraps a failed system call in a HostError that names the errno, the attempt and the path. */
export function hostErrorFrom(error: unknown, attempted: string, hint?: string): HostError {
  const errno = errnoOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  return new HostError({
    code: 'HOST_PROBE_FAILED',
    summary: `${attempted} failed: ${errno ?? detail}`,
    attempted,
    reason: detail,
    hint,
    cause: error,
  });
}
