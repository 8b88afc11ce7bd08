/**
 * A small streaming reader of (ustar / GNU / pax) tar archives. It hands each entry's header to
 * the caller, which answers with a sink for the body or null to skip it. It never creates a path
 * itself: the caller decides where a wanted member goes, so names like `../../etc/passwd` or
 * symlink entries cannot make anything land outside the chosen files. Pure: bytes in, callbacks out.
 */
import { TarballError } from './errors.ts';

/** One archive entry's header, with GNU long names and pax `path` already applied. */
export interface TarHeader {
  /** The entry name with a leading `./` removed. */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  size: number;
  mode: number;
  linkName: string;
}

/** Where an entry's body goes. */
export interface TarSink {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
}

const BLOCK = 512;
/** Metadata bodies (GNU long names, pax records) larger than this are refused. */
const MAX_META_BYTES = 64 * 1024;

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul === -1 ? length : nul).toString('utf8');
}

function octal(block: Buffer, start: number, length: number, what: string): number {
  if ((block[start]! & 0x80) !== 0) throw malformed(`${what} uses base-256 encoding (an entry over 8 GiB), which is not supported`);
  const text = field(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw malformed(`${what} is not an octal number: ${JSON.stringify(text)}`);
  return Number.parseInt(text, 8);
}

/** Parses one 512-byte header block; returns null for an all-zero (end) block. */
export function parseTarHeader(block: Buffer): (TarHeader & { flag: string }) | null {
  if (block.length !== BLOCK) throw malformed(`a header must be ${BLOCK} bytes, got ${block.length}`);
  if (block.every((byte) => byte === 0)) return null;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  const stored = octal(block, 148, 8, 'header checksum');
  if (stored !== sum) throw malformed(`header checksum mismatch (stored ${stored}, computed ${sum}): not a tar archive, or a corrupt one`);
  const flag = String.fromCharCode(block[156]!);
  const magic = field(block, 257, 6);
  const prefix = magic.startsWith('ustar') ? field(block, 345, 155) : '';
  const rawName = field(block, 0, 100);
  const type = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'directory' : flag === '2' ? 'symlink' : flag === '1' ? 'hardlink' : 'other';
  return {
    flag,
    name: prefix ? `${prefix}/${rawName}` : rawName,
    type,
    size: octal(block, 124, 12, 'entry size'),
    mode: octal(block, 100, 8, 'entry mode'),
    linkName: field(block, 157, 100),
  };
}

/** Reads pax extended-header records ("<len> key=value\n"); returns the keys it could parse. */
export function parsePaxRecords(body: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number(body.subarray(offset, space).toString('ascii'));
    if (!Number.isSafeInteger(length) || length <= space - offset || offset + length > body.length) throw malformed('a pax record has a bad length');
    const record = body.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    offset += length;
  }
  return records;
}

/** The streaming parser: `write` chunks in order, then `end`. */
export class TarReader {
  private pending: Buffer = Buffer.alloc(0);
  private body: { remaining: number; padding: number; sink: TarSink | null; meta: Buffer[] | null; flag: string } | null = null;
  private nextName: string | null = null;
  private ended = false;

  constructor(private readonly onEntry: (header: TarHeader) => TarSink | null) {}

  /** Feeds the next chunk of the (decompressed) archive. */
  async write(chunk: Buffer): Promise<void> {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (!this.ended) {
      if (this.body) {
        if (!(await this.feedBody())) return;
        continue;
      }
      if (this.pending.length < BLOCK) return;
      const block = this.pending.subarray(0, BLOCK);
      this.pending = this.pending.subarray(BLOCK);
      const header = parseTarHeader(block);
      if (header === null) {
        this.ended = true;
        return;
      }
      this.startEntry(header);
    }
  }

  /** Says the archive is complete; throws when it stopped inside an entry. */
  end(): void {
    if (this.body && this.body.remaining > 0) throw malformed('the archive ends inside an entry (truncated download?)');
    if (!this.ended && this.pending.length > 0) throw malformed('the archive ends inside a header block');
  }

  private startEntry(header: TarHeader & { flag: string }): void {
    const padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
    if (header.flag === 'L' || header.flag === 'x' || header.flag === 'g') {
      if (header.size > MAX_META_BYTES) throw malformed(`a metadata entry of ${header.size} bytes is too large`);
      this.body = { remaining: header.size, padding, sink: null, meta: [], flag: header.flag };
      return;
    }
    const name = (this.nextName ?? header.name).replace(/^(\.\/)+/, '');
    this.nextName = null;
    const sink = this.onEntry({ name, type: header.type, size: header.size, mode: header.mode, linkName: header.linkName });
    // Only regular files have a body worth keeping; any other entry's bytes are skipped.
    this.body = { remaining: header.size, padding, sink: header.type === 'file' ? sink : null, meta: null, flag: header.flag };
  }

  /** Moves body bytes to the sink (or drops them); returns false when more input is needed. */
  private async feedBody(): Promise<boolean> {
    const body = this.body!;
    if (body.remaining > 0) {
      if (this.pending.length === 0) return false;
      const take = Math.min(body.remaining, this.pending.length);
      const piece = this.pending.subarray(0, take);
      this.pending = this.pending.subarray(take);
      body.remaining -= take;
      if (body.meta) body.meta.push(Buffer.from(piece));
      else if (body.sink) await body.sink.write(piece);
      if (body.remaining > 0) return false;
    }
    if (this.pending.length < body.padding) return false;
    this.pending = this.pending.subarray(body.padding);
    this.body = null;
    if (body.sink) await body.sink.end();
    if (body.meta) this.applyMeta(body.flag, Buffer.concat(body.meta));
    return true;
  }

  private applyMeta(flag: string, data: Buffer): void {
    if (flag === 'L') this.nextName = data.subarray(0, data.indexOf(0) === -1 ? data.length : data.indexOf(0)).toString('utf8');
    if (flag === 'x') this.nextName = parsePaxRecords(data).get('path') ?? this.nextName;
  }
}

function malformed(why: string): TarballError {
  return new TarballError({ code: 'TARBALL_MALFORMED', summary: `malformed tar archive: ${why}`, hint: 'The download is damaged or is not the release tarball; download it again.' });
}
