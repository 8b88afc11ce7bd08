import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { buildTar, buildTgz, type TarEntry } from '../../../fixtures/fake-artifacts/tar-writer.ts';
import { createTarExtractor } from '../../../lib/host/tar-extract.ts';
import { TarballError } from '../../../lib/provision/errors.ts';
import { parseTarHeader, TarReader } from '../../../lib/provision/tar-reader.ts';

const WANTED = 'release-v1.7.0-x86_64/firecracker-v1.7.0-x86_64';

/** Writes `archive` into a temp dir, extracts WANTED to out/firecracker, returns the dir listing or the error. */
async function extractFrom(archive: Buffer, wanted: Record<string, string> = { [WANTED]: 'firecracker' }) {
  return withDir(
    async ({ path: root }) => {
      const tarball = path.join(root, 'in.tgz');
      await fs.writeFile(tarball, archive);
      await fs.mkdir(path.join(root, 'out'));
      const map = Object.fromEntries(Object.entries(wanted).map(([member, name]) => [member, path.join(root, 'out', name)]));
      const result = await createTarExtractor().extract(tarball, map).catch((error: unknown) => error);
      const files = (await fs.readdir(root, { recursive: true })).map(String).sort();
      const contents = await fs.readFile(path.join(root, 'out/firecracker'), 'utf8').catch(() => null);
      return { result, files, contents };
    },
    { unsafeCleanup: true },
  );
}

describe('extracting members of a release tarball', () => {
  it.each<[string, Partial<TarEntry>]>([
    ['a plain ustar name', {}],
    ['a GNU long-name record', { gnuLongName: true }],
    ['a pax path record', { paxPath: true }],
    ['a ./ prefix', { name: `./${WANTED}` }],
  ])('finds the wanted member written with %s and writes it only to the chosen path', async (_name, variant: Partial<TarEntry>) => {
    const { result, files, contents } = await extractFrom(buildTgz([{ name: 'other', content: 'x' }, { name: WANTED, content: 'binary', ...variant }]));
    expect(result).toMatchObject([{ member: WANTED, bytes: 6 }]);
    expect(contents).toBe('binary');
    expect(files).toEqual(['in.tgz', 'out', 'out/firecracker']);
  });

  it('never writes an entry with a traversal name anywhere', async () => {
    const { result, files } = await extractFrom(buildTgz([{ name: '../../escaped', content: 'x' }, { name: '/etc/evil', content: 'y' }, { name: WANTED, content: 'ok' }]));
    expect(result).toMatchObject([{ member: WANTED }]);
    expect(files).toEqual(['in.tgz', 'out', 'out/firecracker']);
  });

  it.each<[string, Partial<TarEntry>, RegExp]>([
    ['a symlink', { type: 'symlink', linkName: '/etc/shadow' }, /is a symlink \(to \/etc\/shadow\), not a regular file/],
    ['a hard link', { type: 'hardlink', linkName: 'other' }, /is a hardlink/],
    ['a directory', { type: 'directory' }, /is a directory/],
  ])('refuses a wanted member that is %s', async (_name, variant: Partial<TarEntry>, message) => {
    const { result, files } = await extractFrom(buildTgz([{ name: WANTED, ...variant }]));
    expect(result).toBeInstanceOf(TarballError);
    expect((result as Error).message).toMatch(message);
    expect(files).toEqual(['in.tgz', 'out']);
  });

  it('refuses a member that appears twice', async () => {
    const { result } = await extractFrom(buildTgz([{ name: WANTED, content: 'a' }, { name: WANTED, content: 'b' }]));
    expect((result as Error).message).toMatch(/appears twice/);
  });

  it('names a missing member and removes what it had written', async () => {
    const { result, files } = await extractFrom(buildTgz([{ name: WANTED, content: 'a' }]), { [WANTED]: 'firecracker', 'release-v1.7.0-x86_64/jailer-v1.7.0-x86_64': 'jailer' });
    expect((result as Error).message).toMatch(/has no release-v1\.7\.0-x86_64\/jailer-v1\.7\.0-x86_64/);
    expect(files).toEqual(['in.tgz', 'out']);
  });

  it.each([
    ['a truncated gzip stream', () => buildTgz([{ name: WANTED, content: 'x'.repeat(5000) }]).subarray(0, 60), /not a complete gzip file|ends inside/],
    ['an archive cut inside an entry', () => gzipSync(buildTar([{ name: WANTED, content: 'x'.repeat(5000) }]).subarray(0, 2048)), /ends inside an entry/],
    ['a corrupted header', () => gzipSync(Buffer.concat([Buffer.alloc(512, 0x41), Buffer.alloc(1024)])), /header checksum/],
    ['something that is not gzip', () => Buffer.from('plain text, not an archive'), /not a complete gzip file|incorrect header/],
  ])('rejects %s as a malformed archive and leaves no file', async (_name, make, message) => {
    const { result, files } = await extractFrom(make());
    expect(result).toBeInstanceOf(TarballError);
    expect((result as Error).message).toMatch(message);
    expect(files).toEqual(['in.tgz', 'out']);
  });
});

describe('the tar reader on hostile bytes', () => {
  it('either parses or throws a TarballError, and only ever hands out what its callback accepted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.integer({ min: 1, max: 700 }), async (bytes, chunk) => {
        const seen: string[] = [];
        const reader = new TarReader((header) => {
          seen.push(header.name);
          return null;
        });
        try {
          for (let i = 0; i < bytes.length; i += chunk) await reader.write(Buffer.from(bytes.subarray(i, i + chunk)));
          reader.end();
        } catch (error) {
          expect(error).toBeInstanceOf(TarballError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reads a header field by field', () => {
    const block = buildTar([{ name: 'dir/file', content: 'hello', mode: 0o750 }]).subarray(0, 512);
    expect(parseTarHeader(Buffer.from(block))).toMatchObject({ name: 'dir/file', type: 'file', size: 5, mode: 0o750, flag: '0' });
    expect(parseTarHeader(Buffer.alloc(512))).toBeNull();
  });
});
