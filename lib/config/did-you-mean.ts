/**
 * "Did you mean": a name that looks like one of ours (OCTOLAB_…, or a legacy name) but is not one
 * is probably a typo, silently ignored otherwise. Only close names are reported: an env file holds
 * many OCTOLAB_ settings of the backend's that this tool has no business with.
 */

/** The edit distance (insertions, deletions, substitutions, adjacent swaps) between two names. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** Returns the known name closest to `name` when it is close enough to be a typo of it, else null. */
export function closestName(name: string, known: Iterable<string>): string | null {
  const upper = name.toUpperCase();
  let best: { name: string; distance: number } | null = null;
  for (const candidate of known) {
    if (candidate === name) return null;
    const distance = editDistance(upper, candidate);
    if (best === null || distance < best.distance) best = { name: candidate, distance };
  }
  if (best === null) return null;
  // A dropped segment (OCTOLAB_NETD_SOCK for OCTOLAB_MICROVM_NETD_SOCK): the rest names one known variable.
  const rest = upper.replace(/^OCTOLAB_/, '');
  const containing = [...known].filter((candidate) => rest.length >= 6 && candidate.startsWith('OCTOLAB_') && candidate.endsWith(`_${rest}`));
  if (containing.length === 1) return containing[0]!;
  // A case slip (octolab_runtime) is always a typo; otherwise up to 1 edit per 8 characters, at most 3.
  const allowed = Math.min(3, Math.max(1, Math.floor(best.name.length / 8)));
  return best.distance <= allowed || upper === best.name ? best.name : null;
}
