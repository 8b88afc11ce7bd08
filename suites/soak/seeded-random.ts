/**
 * A small seeded random source (mulberry32) for the soak and the measurement script: the same seed
 * gives the same sequence of choices (mode, signal, moment) on every run and every machine.
 */
import { FUZZ_SEED_VARIABLE, parseFuzzSeed } from '../support/fuzz-seed.ts';

/** Draws from one seed; every method advances the same sequence. */
export interface SeededRandom {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T;
}

/** Returns a source seeded with `seed` (folded to 32 bits). */
export function seededRandom(seed: number): SeededRandom {
  let a = seed | 0;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed: seed | 0,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
  };
}

/** The seed to use: OCTOLAB_FUZZ_SEED when set (to replay a run), else a fresh one (printed by the caller). */
export function soakSeed(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return parseFuzzSeed(env[FUZZ_SEED_VARIABLE]) ?? (Math.floor(Math.random() * 2 ** 31) | 0);
}
