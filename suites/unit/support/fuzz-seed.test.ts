import { describe, expect, it } from 'vitest';
import { parseFuzzSeed } from '../../support/fuzz-seed.ts';

describe('OCTOLAB_FUZZ_SEED', () => {
  it('is optional: unset or blank leaves fast-check its random seed', () => {
    expect(parseFuzzSeed(undefined)).toBeUndefined();
    expect(parseFuzzSeed('  ')).toBeUndefined();
  });

  it('takes the seed a failing property printed, negative ones too', () => {
    expect(parseFuzzSeed('1774025784')).toBe(1774025784);
    expect(parseFuzzSeed(' -42 ')).toBe(-42);
  });

  it.each(['abc', '1.5', '0x', '1e400'])('refuses %j and names the variable', (value) => {
    expect(() => parseFuzzSeed(value)).toThrow(/OCTOLAB_FUZZ_SEED=.* is not an integer; use the seed a failing property printed/);
  });
});
