import type { Check } from '../check.ts';

/** Every doctor check, in the order they run (upstream's order, then this project's additions). */
export const allChecks: readonly Check[] = [];
