/** Returns the refusal message for a non-root uid, or null when the host suites may run. */
export function hostGateMessage(uid: number): string | null;
