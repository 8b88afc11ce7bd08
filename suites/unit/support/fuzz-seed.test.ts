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

describe('where the seed applies', () => {
  it('every test project runs the seed setup file, the soak project (where the CLI boundary property runs) included', async () => {
    const { default: config } = await import('../../../vitest.config.ts');
    const test = config.test!;
    expect(test.setupFiles).toContain('./suites/support/fuzz-seed.ts');
    const projects = (test.projects ?? []) as Array<{ extends?: boolean; test: { name: string; include: string[]; setupFiles?: string[] } }>;
    // extends: true merges the root's setupFiles into the project's (arrays merge).
    for (const project of projects) expect(project.extends === true || (project.test.setupFiles ?? []).includes('./suites/support/fuzz-seed.ts'), project.test.name).toBe(true);
    const soak = projects.find((p) => p.test.name === 'soak');
    expect(soak?.test.include).toEqual(['suites/soak/**/*.test.ts']);
  });
});
