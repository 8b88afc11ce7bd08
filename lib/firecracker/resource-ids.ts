/**
 * Firecracker's two id rules, which differ: API resource ids (drives, network interfaces) are
 * alphanumerics and `_`; the instance id (`--id`) is 1–64 chars of alphanumerics and `-`.
 */

const RESOURCE_ID = /^[\p{L}\p{N}_]+$/u;
const INSTANCE_ID = /^[\p{L}\p{N}-]+$/u;

/** Returns why `id` is not a valid drive / network-interface id (Firecracker's text), or null. */
export function resourceIdProblem(id: string): string | null {
  if (id === '') return 'The ID cannot be empty.';
  return RESOURCE_ID.test(id) ? null : 'API Resource IDs can only contain alphanumeric characters and underscores.';
}

/** Returns why `id` is not a valid `--id` value, or null. */
export function instanceIdProblem(id: string): string | null {
  const length = Buffer.byteLength(id);
  if (length < 1 || length > 64) return `the length must be between 1 and 64 (got ${length})`;
  return INSTANCE_ID.test(id) ? null : 'only alphanumeric characters and "-" are allowed';
}
