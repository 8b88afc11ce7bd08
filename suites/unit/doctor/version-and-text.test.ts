import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../../fixtures/fake-host.ts';
import { parseVersionConstraint } from '../../../lib/config/index.ts';
import { describeConstraint, parseVersionLine, probeVersion, satisfiesVersion } from '../../../lib/doctor/checks/version-probe.ts';
import { clip } from '../../../lib/doctor/verdict.ts';

describe('parseVersionLine', () => {
  it.each([
    ['Firecracker v1.7.0', 'Firecracker', [1, 7, 0]],
    ['  Firecracker v1.10.2  ', 'Firecracker', [1, 10, 2]],
    ['Jailer v1.7.0', 'Jailer', [1, 7, 0]],
    ['Firecracker 1.7.0', 'Firecracker', null],
    ['Jailer v1.7.0', 'Firecracker', null],
    ['Firecracker v1.7', 'Firecracker', null],
    ['Firecracker v1.7.0 extra words', 'Firecracker', null],
  ] as const)('parses %j as %s → %j', (line, program, expected) => {
    expect(parseVersionLine(line, program)).toEqual(expected);
  });
});

describe('satisfiesVersion', () => {
  it.each([
    ['1.7.0', [1, 7, 0], true],
    ['1.7.0', [1, 7, 1], false],
    ['1.7', [1, 7, 9], true],
    ['1.7', [1, 6, 9], false],
    ['>=1.7.0', [2, 0, 0], true],
    ['>=1.7.0', [1, 7, 0], true],
    ['>=1.7.1', [1, 7, 0], false],
    ['>=1.7.0', [0, 99, 99], false],
  ] as const)('%s accepts %j: %s', (constraint, version, ok) => {
    expect(satisfiesVersion([...version], parseVersionConstraint(constraint))).toBe(ok);
  });

  it.each([
    ['1.7.0', '1.7.0'],
    ['1.7', '1.7.x'],
    ['>=1.7.0', '>=1.7.0'],
  ])('describes %s as %s', (constraint, text) => {
    expect(describeConstraint(parseVersionConstraint(constraint))).toBe(text);
  });
});

describe('probeVersion', () => {
  it('keeps only the first line, capped at 80 characters', async () => {
    const host = new FakeHost().withCommand(['/x', '--version'], { stdout: `${'v'.repeat(200)}\nsecond line\n` });
    const probe = await probeVersion(host.proc, '/x');
    expect(probe).toEqual({ ok: true, firstLine: `${'v'.repeat(77)}...` });
  });

  it('caps stderr in a failure at 100 characters', async () => {
    const host = new FakeHost().withCommand(['/x', '--version'], { exitCode: 2, stderr: 'e'.repeat(300) });
    const probe = await probeVersion(host.proc, '/x');
    expect(probe.ok).toBe(false);
    expect(!probe.ok && probe.text).toBe(`exit 2: ${'e'.repeat(97)}...`);
  });
});

describe('clip', () => {
  it('flattens lines, drops \\r, trims, and cuts with ... as upstream\'s _truncate', () => {
    expect(clip('  a\r\nb\n  ')).toBe('a b');
    expect(clip('x'.repeat(250))).toBe(`${'x'.repeat(197)}...`);
  });

  it('never lets a control character or an over-long text through (fuzz)', { tags: ['fuzz'] }, () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 3, max: 300 }), (text, max) => {
        const out = clip(text, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      }),
      { numRuns: 500 },
    );
  });
});
