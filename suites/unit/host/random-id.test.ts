import { describe, expect, it } from 'vitest';
import { randomBytesSync, randomUuid } from '../../../lib/host/random-id.ts';

// Lab ids and temp names come from /dev/urandom instead of node:crypto (which costs the boot its
// load time): they must keep crypto.randomUUID's form and never repeat.

describe('random ids from /dev/urandom', () => {
  it('gives version-4 UUIDs in the form crypto.randomUUID gives, each different', () => {
    const ids = Array.from({ length: 2000 }, randomUuid);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives the number of bytes asked for, not all zero, and different each time', () => {
    for (const count of [0, 1, 4, 16, 300]) expect(randomBytesSync(count)).toHaveLength(count);
    const draws = Array.from({ length: 200 }, () => randomBytesSync(16).toString('hex'));
    expect(new Set(draws).size).toBe(draws.length);
    expect(draws.some((d) => /^0+$/.test(d))).toBe(false);
    // Every bit position is seen set and unset across the draws (a stuck byte would fail this).
    const bytes = Buffer.concat(draws.map((d) => Buffer.from(d, 'hex')));
    for (let bit = 0; bit < 8; bit++) {
      const set = [...bytes].filter((b) => b & (1 << bit)).length;
      expect(set).toBeGreaterThan(bytes.length / 4);
      expect(set).toBeLessThan((bytes.length * 3) / 4);
    }
  });
});
