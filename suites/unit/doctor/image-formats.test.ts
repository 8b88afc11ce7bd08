import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeBzImage, makeElfKernel, makeExtImage } from '../../../fixtures/doctor-images.ts';
import { describeOtherFormat, inspectKernelHeader, parseExtSuperblock } from '../../../lib/doctor/checks/image-formats.ts';

describe('inspectKernelHeader', () => {
  it('reads class, machine and where the section table ends from an ELF64 header', () => {
    expect(inspectKernelHeader(makeElfKernel({ size: 8192 }))).toEqual({ kind: 'elf', elfClass: 2, machine: 'x86_64', sectionTableEnd: 8192 });
  });

  it('reads a big-endian header with big-endian fields', () => {
    const image = Buffer.alloc(64);
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 2]).copy(image);
    image.writeUInt16BE(183, 18);
    expect(inspectKernelHeader(image)).toMatchObject({ kind: 'elf', machine: 'aarch64', sectionTableEnd: null });
  });

  it.each([
    ['the HdrS setup header', (() => { const b = Buffer.alloc(1024); b.write('HdrS', 0x202, 'latin1'); return b; })()],
    ['an MZ (EFI stub) start', Buffer.from('MZ\0\0')],
    ['both', makeBzImage()],
  ])('recognises a bzImage by %s', (_name, head) => {
    expect(inspectKernelHeader(head)).toEqual({ kind: 'bzimage' });
  });

  it('never throws on arbitrary bytes (fuzz)', { tags: ['fuzz'] }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const head = inspectKernelHeader(Buffer.from(bytes));
        expect(['elf', 'bzimage', 'other']).toContain(head.kind);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary bytes behind a valid ELF magic (fuzz)', { tags: ['fuzz'] }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        const head = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.from(bytes)]);
        expect(inspectKernelHeader(head).kind).toBe('elf');
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseExtSuperblock', () => {
  it('reads magic, block size, block count, flavour and label', () => {
    expect(parseExtSuperblock(makeExtImage({ blocks: 100, logBlockSize: 2, volumeName: 'hello' }))).toEqual({
      magic: 0xef53,
      blockSize: 4096,
      blocksCount: 100,
      flavour: 'ext4',
      volumeName: 'hello',
      hasErrors: false,
      corrupt: null,
    });
  });

  it('ignores s_blocks_count_hi unless the 64bit feature is set', () => {
    const image = makeExtImage({ blocks: 10 });
    image.writeUInt32LE(7, 1024 + 0x150);
    expect(parseExtSuperblock(image)?.blocksCount).toBe(10);
    expect(parseExtSuperblock(makeExtImage({ blocks: 10, blocksHigh: 7 }))?.blocksCount).toBe(7 * 2 ** 32 + 10);
  });

  it('returns null when the buffer ends before the superblock fields', () => {
    expect(parseExtSuperblock(Buffer.alloc(1100))).toBeNull();
  });

  it('flags a zero block count as corrupt', () => {
    expect(parseExtSuperblock(makeExtImage({ blocks: 0 }))?.corrupt).toBe('s_blocks_count is 0');
  });

  it('never throws and never reports a nonsensical block size on arbitrary superblocks (fuzz)', { tags: ['fuzz'] }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1024, maxLength: 1024 }), (bytes) => {
        const sb = parseExtSuperblock(Buffer.concat([Buffer.alloc(1024), Buffer.from(bytes)]));
        expect(sb).not.toBeNull();
        if (sb!.corrupt === null) expect([1024, 2048, 4096, 8192, 16384, 32768, 65536]).toContain(sb!.blockSize);
      }),
      { numRuns: 500 },
    );
  });
});

describe('describeOtherFormat', () => {
  it.each([
    [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'an xz-compressed file'],
    [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'a zstd-compressed file'],
    [Buffer.alloc(0), 'an empty file'],
  ])('names %o as %s', (head, name) => {
    expect(describeOtherFormat(head)).toBe(name);
  });
});
