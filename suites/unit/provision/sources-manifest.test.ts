import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fileNameOfUrl, normaliseSha256 } from '../../../lib/provision/artifacts.ts';
import { installLayout } from '../../../lib/provision/layout.ts';
import { MANIFEST_FORMAT, parseManifest } from '../../../lib/provision/manifest.ts';
import { locateArtifact, parseMirror } from '../../../lib/provision/sources.ts';

const TGZ = 'https://github.com/firecracker-microvm/firecracker/releases/download/v1.7.0/firecracker-v1.7.0-x86_64.tgz';

describe('mirrors', () => {
  it.each([
    ['/srv/mirror', { kind: 'dir', dir: '/srv/mirror' }],
    ['mirror', { kind: 'dir', dir: '/work/repo/mirror' }],
    ['file:///srv/mirror/', { kind: 'dir', dir: '/srv/mirror' }],
    ['file:///tmp/my%20dir', { kind: 'dir', dir: '/tmp/my dir' }],
    ['file://localhost/srv/m%C3%BCller', { kind: 'dir', dir: '/srv/müller' }],
    ['http://artifacts.internal/fc', { kind: 'base-url', url: 'http://artifacts.internal/fc/' }],
    ['https://artifacts.internal/fc/', { kind: 'base-url', url: 'https://artifacts.internal/fc/' }],
  ])('reads --mirror %s', (value, expected) => {
    expect(parseMirror(value, '/work/repo')).toEqual(expected);
  });

  it.each(['', '   ', 's3://bucket/x', 'ftp://host/x'])('refuses --mirror %j', (value) => {
    expect(() => parseMirror(value, '/work')).toThrow(/--mirror/);
  });

  it('looks an artifact up by its release file name in the mirror', () => {
    expect(locateArtifact(TGZ, null)).toEqual({ kind: 'url', url: TGZ });
    expect(locateArtifact(TGZ, { kind: 'dir', dir: '/srv/m' })).toEqual({ kind: 'file', path: '/srv/m/firecracker-v1.7.0-x86_64.tgz' });
    expect(locateArtifact(TGZ, { kind: 'base-url', url: 'http://m.internal/a/' })).toEqual({ kind: 'url', url: 'http://m.internal/a/firecracker-v1.7.0-x86_64.tgz' });
  });

  it.each(['https://host/', 'https://host/dir/..', 'https://host/a%2F..%2Fb'])('refuses a URL that does not end in a plain file name: %s', (url) => {
    expect(() => fileNameOfUrl(url)).toThrow(/does not end in a file name/);
  });
});

describe('the install layout and records', () => {
  it('puts everything under the prefix as the seed lays it out', () => {
    expect(installLayout('/tmp/p')).toMatchObject({
      firecrackerBin: '/tmp/p/usr/local/bin/firecracker',
      jailerBin: '/tmp/p/usr/local/bin/jailer',
      kernel: '/tmp/p/var/lib/octolab/firecracker/vmlinux',
      rootfs: '/tmp/p/var/lib/octolab/firecracker/rootfs.ext4',
      stateDir: '/tmp/p/var/lib/octolab/microvm',
    });
    expect(installLayout().firecrackerBin).toBe('/usr/local/bin/firecracker');
  });

  it('normalises checksums and refuses anything but 64 hex digits', () => {
    expect(normaliseSha256(` ${'AB'.repeat(32)} `)).toBe('ab'.repeat(32));
    expect(normaliseSha256('ab'.repeat(31))).toBeNull();
    expect(normaliseSha256('zz'.repeat(32))).toBeNull();
  });

  it('treats any unreadable manifest as no record at all, never as a match', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const manifest = parseManifest(text);
        expect(manifest.format).toBe(MANIFEST_FORMAT);
        if (manifest.firecracker) expect(Object.values(manifest.firecracker.files).every((sha) => /^[0-9a-f]{64}$/.test(sha))).toBe(true);
      }),
    );
    expect(parseManifest(JSON.stringify({ format: MANIFEST_FORMAT, kernel: { url: 'u', sha256: 's', verified: 'yes' } })).kernel).toBeUndefined();
  });
});
