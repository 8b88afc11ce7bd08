import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { TarballError } from '../provision/errors.ts';
import type { ExtractedMember, TarExtractor } from '../provision/ports.ts';
import { TarReader, type TarHeader, type TarSink } from '../provision/tar-reader.ts';
import { hostErrorFrom } from './host-error.ts';

/** Refuses members larger than this (a firecracker binary is a few MiB). */
const MAX_MEMBER_BYTES = 512 * 1024 * 1024;

/**
 * The real extractor: gunzip + the streaming TarReader, no `tar` process. Each wanted member is
 * written to the path the caller chose (created exclusively, mode 0700); names in the archive are
 * only compared, never used as paths. On any failure the files written so far are removed.
 */
export function createTarExtractor(): TarExtractor {
  return {
    async extract(tarball, wanted) {
      const done = new Map<string, ExtractedMember>();
      const written: string[] = [];
      const open: fs.FileHandle[] = [];
      const reader = new TarReader((header) => {
        const dest = Object.hasOwn(wanted, header.name) ? wanted[header.name] : undefined;
        if (dest === undefined) return null;
        if (header.type !== 'file') throw refusal(`${header.name} is a ${header.type}${header.linkName ? ` (to ${header.linkName})` : ''}, not a regular file`);
        if (done.has(header.name)) throw refusal(`${header.name} appears twice in the archive`);
        if (header.size > MAX_MEMBER_BYTES) throw refusal(`${header.name} is ${header.size} bytes, more than the ${MAX_MEMBER_BYTES} allowed`);
        written.push(dest);
        return memberSink(header, dest, done, open);
      });
      try {
        const stream = createReadStream(tarball).pipe(createGunzip());
        for await (const chunk of stream) await reader.write(chunk as Buffer);
        reader.end();
      } catch (error) {
        await Promise.all(open.map((handle) => handle.close().catch(() => undefined)));
        await Promise.all(written.map((file) => fs.rm(file, { force: true })));
        if (error instanceof TarballError) throw error;
        const code = (error as { code?: string }).code;
        if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
          throw new TarballError({ code: 'TARBALL_MALFORMED', summary: `${tarball} is not a complete gzip file: ${(error as Error).message}`, hint: 'Download it again.', cause: error });
        }
        throw hostErrorFrom(error, `extract ${tarball}`);
      }
      const missing = Object.keys(wanted).filter((name) => !done.has(name));
      if (missing.length > 0) {
        await Promise.all(written.map((file) => fs.rm(file, { force: true })));
        throw refusal(`the archive has no ${missing.join(', ')}`);
      }
      return Object.keys(wanted).map((name) => done.get(name)!);
    },
  };
}

function memberSink(header: TarHeader, dest: string, done: Map<string, ExtractedMember>, handles: fs.FileHandle[]): TarSink {
  const hash = createHash('sha256');
  let handle: fs.FileHandle | null = null;
  let bytes = 0;
  const open = async () => {
    if (!handle) {
      handle = await fs.open(dest, 'wx', 0o700);
      handles.push(handle);
    }
    return handle;
  };
  return {
    async write(chunk) {
      const file = await open();
      hash.update(chunk);
      bytes += chunk.length;
      await file.write(chunk);
    },
    async end() {
      const file = await open();
      handles.splice(handles.indexOf(file), 1);
      await file.close();
      done.set(header.name, { member: header.name, path: dest, bytes, sha256: hash.digest('hex') });
    },
  };
}

function refusal(summary: string): TarballError {
  return new TarballError({ code: 'TARBALL_MEMBER', summary: `release tarball: ${summary}`, hint: 'The tarball is not the expected Firecracker release; check its source and sha256.' });
}
