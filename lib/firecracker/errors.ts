import { VerifyError, type ErrorParts } from '../errors.ts';

/** What an API failure carries besides the layered message. */
export interface ApiErrorFacts {
  /** `PUT /boot-source`, as sent. */
  route: string;
  /** The HTTP status, or null when no answer came (refused, timed out). */
  status: number | null;
  /** Firecracker's fault_message (or micro_http's parse error), when there was one. */
  faultMessage: string | null;
}

/** A Firecracker API call failed: a non-2xx answer, no answer, or a refused id. */
export class FirecrackerApiError extends VerifyError {
  readonly route: string;
  readonly status: number | null;
  readonly faultMessage: string | null;

  constructor(parts: ErrorParts, facts: ApiErrorFacts) {
    super(parts);
    this.route = facts.route;
    this.status = facts.status;
    this.faultMessage = facts.faultMessage;
  }
}

/** A stage of the boot failed, timed out or was interrupted; `stage` names it. */
export class BootStageError extends VerifyError {
  readonly stage: string;

  constructor(stage: string, parts: ErrorParts) {
    super(parts);
    this.stage = stage;
  }
}

/** The lab state directory could not be prepared or removed. */
export class LabStateError extends VerifyError {}
/** The firecracker process could not be started, or ended when it should not have. */
export class VmmProcessError extends VerifyError {}
/** The guest did not print the marker (or printed it only where it does not count). */
export class SerialMarkerError extends VerifyError {}
