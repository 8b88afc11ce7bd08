import { describe, expect, it } from 'vitest';
import { canAccess, formatMode } from '../../../lib/host/permissions.ts';
import type { FileInfo, Identity } from '../../../lib/host/types.ts';

const kvm: FileInfo = { path: '/dev/kvm', kind: 'char-device', mode: 0o660, uid: 0, gid: 108, size: 0 };
const alice: Identity = { uid: 1000, gid: 1000, groups: [1000], name: 'alice', viaSudo: true };
const root: Identity = { uid: 0, gid: 0, groups: [0], name: 'root', viaSudo: false };

describe('canAccess', () => {
  it('denies a user outside the owning group of a 0660 device', () => {
    expect(canAccess(kvm, alice, 'rw')).toBe(false);
  });

  it('grants a member of the owning group', () => {
    expect(canAccess(kvm, { ...alice, groups: [1000, 108] }, 'rw')).toBe(true);
  });

  it('uses the owner bits for the owner even when the group bits would allow more', () => {
    expect(canAccess({ ...kvm, uid: 1000, mode: 0o060 }, { ...alice, groups: [1000, 108] }, 'r')).toBe(false);
  });

  it('grants root read and write on anything, and execute only when some x bit is set', () => {
    expect(canAccess({ ...kvm, mode: 0o000 }, root, 'rw')).toBe(true);
    expect(canAccess({ ...kvm, kind: 'file', mode: 0o644 }, root, 'x')).toBe(false);
    expect(canAccess({ ...kvm, kind: 'file', mode: 0o744 }, root, 'x')).toBe(true);
  });

  it.each([
    [0o666, 'rw', true],
    [0o664, 'rw', false],
    [0o664, 'r', true],
    [0o755, 'x', true],
    [0o750, 'x', false],
  ] as const)('judges "other" access from mode %o for %s as %s', (mode, want, expected) => {
    expect(canAccess({ ...kvm, mode, gid: 5 }, alice, want)).toBe(expected);
  });

  it('formats modes as upstream prints them', () => {
    expect(formatMode(0o660)).toBe('0660');
    expect(formatMode(0o2775)).toBe('02775');
  });
});
