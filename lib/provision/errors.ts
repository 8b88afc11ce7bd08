import { VerifyError } from '../errors.ts';

/** setup could not install something (a step failed, or its inputs are unusable). */
export class SetupError extends VerifyError {}
/** A download failed: HTTP status, network error, a cut body or a missing mirror file. */
export class DownloadError extends VerifyError {}
/** A downloaded file's sha256 is not the expected one; nothing was moved into place. */
export class ChecksumMismatchError extends VerifyError {}
/** A release tarball is malformed or lacks a member setup needs. */
export class TarballError extends VerifyError {}
/** The env file cannot be rewritten safely (e.g. a begin marker without its end marker). */
export class EnvBlockError extends VerifyError {}
/** rollback could not finish. */
export class RollbackError extends VerifyError {}
/** cleanup could not scan or remove something. */
export class CleanupError extends VerifyError {}
