/**
 * Setup file for every project: fast-check picks a fresh random seed per property each run, so the
 * fuzz tests keep exploring; a failure prints `{ seed: N, path: "…" }`. Setting OCTOLAB_FUZZ_SEED=N
 * replays that run's inputs everywhere, to reproduce a failure and check its fix.
 */
import fc from 'fast-check';

export const FUZZ_SEED_VARIABLE = 'OCTOLAB_FUZZ_SEED';

/** Reads the seed from `value`: undefined when unset, an error naming the variable when not an integer. */
export function parseFuzzSeed(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seed = Number(value.trim());
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`${FUZZ_SEED_VARIABLE}=${JSON.stringify(value)} is not an integer; use the seed a failing property printed, e.g. ${FUZZ_SEED_VARIABLE}=1774025784, or unset it.`);
  }
  // fast-check folds seeds to 32 bits, as the seed it prints is.
  return seed | 0;
}

const seed = parseFuzzSeed(process.env[FUZZ_SEED_VARIABLE]);
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
