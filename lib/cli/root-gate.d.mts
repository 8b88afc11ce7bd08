/**
 * Returns the refusal message for a non-root uid, or null when the host suites may run.
 * `command` (default `pnpm test:host`) is repeated in the advice.
 */
export function hostGateMessage(uid: number, command?: string): string | null;
