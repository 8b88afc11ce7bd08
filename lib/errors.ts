/**
 * One error base for the whole library. Every error says what failed and why (`summary`),
 * what was being attempted, the underlying cause (errno, HTTP status + fault_message,
 * netd code, exit code), any captured output, and what to do next (`hint`).
 * `message` is the layered rendering of those parts, so a plain `console.error(err)` is useful.
 */

/** Stable, machine-readable error codes, grouped by capability. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_FILE_UNREADABLE'
  | 'HOST_PROBE_FAILED'
  | 'HOST_COMMAND_FAILED'
  | 'NOT_ROOT'
  | 'RUNTIME_NOT_READY'
  | 'USAGE'
  | (string & {});

/** The parts an error is built from; only `code` and `summary` are required. */
export interface ErrorParts {
  code: ErrorCode;
  /** What failed and why, in one sentence. */
  summary: string;
  /** What the program was trying to do when it failed. */
  attempted?: string;
  /** The underlying reason: errno, status + fault_message, netd code, exit code. */
  reason?: string;
  /** Captured output (stderr, serial tail, log tail), already trimmed by the caller. */
  output?: string;
  /** What to do next. */
  hint?: string;
  cause?: unknown;
}

/** Renders the layered message: summary first, then the labelled details that exist. */
export function renderErrorMessage(parts: Omit<ErrorParts, 'code' | 'cause'>): string {
  const lines = [parts.summary];
  if (parts.attempted) lines.push(`  attempted: ${parts.attempted}`);
  if (parts.reason) lines.push(`  reason: ${parts.reason}`);
  if (parts.output) lines.push(`  output:\n${indent(parts.output, '    ')}`);
  if (parts.hint) lines.push(`  hint: ${parts.hint}`);
  return lines.join('\n');
}

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

/** Base class: carries the parts as fields and renders them into `message`. */
export class VerifyError extends Error {
  readonly code: ErrorCode;
  readonly summary: string;
  readonly attempted: string | undefined;
  readonly reason: string | undefined;
  readonly output: string | undefined;
  readonly hint: string | undefined;

  constructor(parts: ErrorParts) {
    super(renderErrorMessage(parts), parts.cause === undefined ? undefined : { cause: parts.cause });
    this.name = new.target.name;
    this.code = parts.code;
    this.summary = parts.summary;
    this.attempted = parts.attempted;
    this.reason = parts.reason;
    this.output = parts.output;
    this.hint = parts.hint;
  }
}

/** A value from the environment or from .env.local that cannot be used. */
export class ConfigError extends VerifyError {}
/** A probe of the host (file, process, socket, ioctl, link) failed unexpectedly. */
export class HostError extends VerifyError {
  /** The errno name (ENOENT, EACCES, …) when the failure came from a system call. */
  get errno(): string | undefined {
    const cause = this.cause as NodeJS.ErrnoException | undefined;
    return cause?.code ?? (this.reason?.match(/^E[A-Z0-9]+/)?.[0] || undefined);
  }
}
/** The command line was used wrongly. */
export class UsageError extends VerifyError {}
/** The fail-hard gate refused: OCTOLAB_RUNTIME=firecracker and a fatal check failed. */
export class RuntimeNotReadyError extends VerifyError {}

/** Returns the errno name of a Node system error, or undefined for anything else. */
export function errnoOf(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

/** Returns a one-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof VerifyError) return error.summary;
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

/** What the common errno names mean, for messages people read. */
const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'is a directory',
  ENOTDIR: 'a path component is not a directory',
  EEXIST: 'already exists',
  ENOENT: 'no such file or directory',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
  EBUSY: 'device or resource busy',
  EPIPE: 'the reader closed the pipe',
  EMFILE: 'too many open files',
  EXDEV: 'not on the same file system',
  EINVAL: 'invalid argument',
};

/** Returns "EACCES (permission denied)" for a known errno, the name alone otherwise. */
export function describeErrno(errno: string): string {
  const text = ERRNO_TEXT[errno];
  return text ? `${errno} (${text})` : errno;
}

/** Joins a possibly multi-line text into one line ("a\n  b" → "a; b"). */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join('; ')
    .replace(/:;/g, ':');
}

/**
 * Renders an error as the one line a person sees: what failed, the underlying reason when it adds
 * something, and what to do. Captured output is left to --debug (OCTOLAB_VERIFY_DEBUG).
 */
export function renderErrorLine(error: VerifyError): string {
  const parts = [oneLine(error.summary)];
  const errno = error instanceof HostError ? error.errno : undefined;
  if (errno && ERRNO_TEXT[errno] && !parts[0]!.includes(ERRNO_TEXT[errno]!)) parts[0] = parts[0]!.replace(new RegExp(`\\b${errno}\\b`), describeErrno(errno));
  if (error.reason && !error.summary.includes(error.reason) && !(error instanceof HostError)) parts.push(`(${oneLine(error.reason)})`);
  const line = parts.join(' ');
  return error.hint ? `${line}; ${oneLine(error.hint)}` : line;
}
