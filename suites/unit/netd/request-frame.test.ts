import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestFrameScanner } from '../../../lib/netd/request-frame.ts';

/** Feeds `text` in the given chunk sizes and returns the final state. */
function scanInChunks(text: string, sizes: number[]) {
  const bytes = Buffer.from(text);
  const scanner = new RequestFrameScanner();
  let received = 0;
  let state = scanner.scan(Buffer.alloc(0));
  for (const size of [...sizes, bytes.length]) {
    received = Math.min(bytes.length, received + Math.max(1, size));
    state = scanner.scan(bytes.subarray(0, received));
    if (state.kind === 'complete' || state.kind === 'not-object' || received === bytes.length) break;
  }
  return state;
}

describe('request framing', () => {
  it.each([
    ['a plain request', '{"op":"ping"}', 13],
    ['leading blanks', ' \n\t{"op":"ping"}', 16],
    ['braces inside strings', '{"op":"}{\\"}"}', 14],
    ['nested objects and arrays', '{"a":{"b":[1,{"c":2}]}}', 23],
    ['trailing bytes after the object', '{"op":"ping"}\n{"op":"hello"}', 13],
  ])('finds where the object ends with %s', (_label, text, end) => {
    expect(new RequestFrameScanner().scan(Buffer.from(text))).toEqual({ kind: 'complete', end });
  });

  it.each([
    ['nothing', '', 'empty'],
    ['only blanks', '  \n', 'empty'],
    ['half an object', '{"op":"pi', 'incomplete'],
    ['an open string with an escaped quote', '{"op":"\\"}', 'incomplete'],
    ['an array', '[1,2]', 'not-object'],
    ['a string', '"ping"', 'not-object'],
    ['binary garbage', '\u0000\u00ff{', 'not-object'],
  ])('reports %s as %s', (_label, text, kind) => {
    expect(new RequestFrameScanner().scan(Buffer.from(text)).kind).toBe(kind);
  });

  it('gives the same answer whatever the chunking, for any JSON object', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.integer({ min: 1, max: 7 })), (object, sizes) => {
        const text = JSON.stringify(object);
        expect(scanInChunks(text, sizes)).toEqual({ kind: 'complete', end: Buffer.byteLength(text) });
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const state = new RequestFrameScanner().scan(Buffer.from(bytes));
        expect(['empty', 'incomplete', 'complete', 'not-object']).toContain(state.kind);
      }),
      { numRuns: 1000 },
    );
  });
});
