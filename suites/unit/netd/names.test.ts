import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLabId, isLabLinkName, labLinkNames, ownerAlias, parseOwnerAlias, type LabId } from '../../../lib/netd/names.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('lab link names', () => {
  it('derives two 13-character [a-z0-9] names from every UUID, whatever its case and surrounding blanks', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.boolean(), fc.constantFrom('', ' ', '\t', '\n '), (uuid, upper, pad) => {
        const names = labLinkNames(`${pad}${upper ? uuid.toUpperCase() : uuid}${pad}`);
        expect(names.bridge).toMatch(/^obr[a-z0-9]{10}$/);
        expect(names.tap).toMatch(/^otp[a-z0-9]{10}$/);
        expect(names.bridge).toHaveLength(13);
        expect(names.labId).toBe(uuid.toLowerCase());
        expect(names.bridge.slice(3)).toBe(uuid.toLowerCase().replaceAll('-', '').slice(0, 10));
        expect(names.tap.slice(3)).toBe(names.bridge.slice(3));
        expect(isLabLinkName(names.bridge) && isLabLinkName(names.tap)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('matches the upstream example: lab 12345678-1234-… gives otp1234567812', () => {
    const names = labLinkNames('12345678-1234-1234-1234-123456789abc');
    expect(names).toMatchObject({ bridge: 'obr1234567812', tap: 'otp1234567812', prefix: '1234567812', alias: 'octolab:lab=12345678-1234-1234-1234-123456789abc' });
  });

  it('rejects every string that is not a UUID after trimming and lower-casing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        fc.pre(!UUID.test(text.trim().toLowerCase()));
        const checked = checkLabId(text);
        expect(checked.ok).toBe(false);
        expect(() => labLinkNames(text)).toThrow(RangeError);
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects UUID look-alikes that differ in one place', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.nat(35), fc.constantFrom('g', 'z', '-', ' ', '_', 'é', '0-'), (uuid, at, put) => {
        const mutated = uuid.slice(0, at) + put + uuid.slice(at + 1);
        fc.pre(!UUID.test(mutated.trim().toLowerCase()));
        expect(checkLabId(mutated).ok).toBe(false);
      }),
    );
  });

  it.each([
    ['undefined', undefined, 'MISSING_LAB_ID'],
    ['null', null, 'MISSING_LAB_ID'],
    ['an empty string', '', 'MISSING_LAB_ID'],
    ['a number', 123, 'INVALID_LAB_ID'],
    ['an object', { id: 'x' }, 'INVALID_LAB_ID'],
    ['an array', ['12345678-1234-1234-1234-123456789abc'], 'INVALID_LAB_ID'],
    ['a braced UUID', '{12345678-1234-1234-1234-123456789abc}', 'INVALID_LAB_ID'],
    ['a UUID without dashes', '12345678123412341234123456789abc', 'INVALID_LAB_ID'],
    ['a blank string', '   ', 'INVALID_LAB_ID'],
    ['a path', '../../etc/passwd', 'INVALID_LAB_ID'],
  ])('refuses %s with %s', (_label, value, code) => {
    const checked = checkLabId(value);
    expect(checked).toMatchObject({ ok: false, code });
  });

  it('reads back exactly the owner alias it writes, and nothing else', () => {
    fc.assert(
      fc.property(fc.uuid(), (uuid) => {
        const id = uuid.toLowerCase() as LabId;
        expect(parseOwnerAlias(ownerAlias(id))).toBe(id);
        expect(parseOwnerAlias(ownerAlias(id).toUpperCase())).toBeNull();
        expect(parseOwnerAlias(`${ownerAlias(id)} `)).toBeNull();
      }),
    );
    expect(parseOwnerAlias(null)).toBeNull();
    expect(parseOwnerAlias('lab=12345678-1234-1234-1234-123456789abc')).toBeNull();
  });

  it.each(['obr1234567812', 'otp0000000000'])('counts %s as a lab link name', (name) => expect(isLabLinkName(name)).toBe(true));
  it.each(['obr123456781', 'otp12345678123', 'obrABCDEF1234', 'br-octonet', 'eth0', 'otp123456781g'])('does not count %s as a lab link name', (name) =>
    expect(isLabLinkName(name)).toBe(false),
  );
});
