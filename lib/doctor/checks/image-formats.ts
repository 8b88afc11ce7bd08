/**
 * Pure readers of the image headers the kernel and rootfs checks look at: ELF (and what a
 * non-ELF kernel is instead: bzImage, PE, a compressed file) and the ext2/3/4 superblock.
 */

/** The ELF64 header is 64 bytes; a shorter kernel cannot be a vmlinux. */
export const ELF64_HEADER_BYTES = 64;
/** Bytes to read for any of these inspections: boot sector, setup header, superblock. */
export const IMAGE_HEAD_BYTES = 2048;
/** The ext superblock starts 1024 bytes into the image and is 1024 bytes long. */
export const EXT_SUPERBLOCK_OFFSET = 1024;
/** s_magic of ext2/3/4, at offset 56 of the superblock. */
export const EXT_MAGIC = 0xef53;

const MACHINES: Record<number, string> = { 3: 'i386', 40: 'arm', 62: 'x86_64', 183: 'aarch64', 243: 'riscv' };

/** What the first bytes of a kernel file say it is. */
export type KernelHeader =
  | { kind: 'elf'; elfClass: number; machine: string; sectionTableEnd: number | null }
  | { kind: 'bzimage' }
  | { kind: 'other'; what: string };

/** Reads the ELF identification and machine, or recognises a bzImage / compressed file. */
export function inspectKernelHeader(head: Buffer): KernelHeader {
  if (head.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
    const elfClass = head[4] ?? 0;
    const little = head[5] !== 2;
    const u16 = (at: number) => (head.length >= at + 2 ? (little ? head.readUInt16LE(at) : head.readUInt16BE(at)) : 0);
    const machine = MACHINES[u16(18)] ?? `machine ${u16(18)}`;
    let sectionTableEnd: number | null = null;
    if (elfClass === 2 && head.length >= ELF64_HEADER_BYTES) {
      const shoff = Number(little ? head.readBigUInt64LE(40) : head.readBigUInt64BE(40));
      sectionTableEnd = shoff === 0 ? null : shoff + u16(58) * u16(60);
    }
    return { kind: 'elf', elfClass, machine, sectionTableEnd };
  }
  if (head.length >= 0x206 && head.toString('latin1', 0x202, 0x206) === 'HdrS') return { kind: 'bzimage' };
  if (head.toString('latin1', 0, 2) === 'MZ') return { kind: 'bzimage' };
  return { kind: 'other', what: describeOtherFormat(head) };
}

/** Names a few formats by their magic bytes, for "this is not what it should be" messages. */
export function describeOtherFormat(head: Buffer): string {
  const starts = (...bytes: number[]) => head.subarray(0, bytes.length).equals(Buffer.from(bytes));
  if (starts(0x1f, 0x8b)) return 'a gzip-compressed file';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'an xz-compressed file';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'a zstd-compressed file';
  if (starts(0x51, 0x46, 0x49, 0xfb)) return 'a qcow2 disk image';
  if (starts(0x68, 0x73, 0x71, 0x73)) return 'a squashfs image';
  if (head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa) return 'a partitioned disk image (MBR/GPT), not a bare filesystem';
  if (head.length === 0) return 'an empty file';
  return `unknown format, first bytes ${[...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

/** The superblock fields the rootfs check needs. */
export interface ExtSuperblock {
  magic: number;
  blockSize: number;
  blocksCount: number;
  /** ext4 when it uses extents, 64bit or flex_bg; ext3 with a journal; ext2 otherwise. */
  flavour: 'ext2' | 'ext3' | 'ext4';
  volumeName: string;
  /** s_state bit 2: the kernel recorded errors in this filesystem. */
  hasErrors: boolean;
  /** s_log_block_size out of range (a corrupt superblock). */
  corrupt: string | null;
}

const INCOMPAT_EXTENTS = 0x40;
const INCOMPAT_64BIT = 0x80;
const INCOMPAT_FLEX_BG = 0x200;
const COMPAT_HAS_JOURNAL = 0x4;

/** Parses the ext2/3/4 superblock found at offset 1024 of `head`; null when `head` is too short for it. */
export function parseExtSuperblock(head: Buffer): ExtSuperblock | null {
  const sb = head.subarray(EXT_SUPERBLOCK_OFFSET, EXT_SUPERBLOCK_OFFSET + 1024);
  if (sb.length < 0x154) return null;
  const incompat = sb.readUInt32LE(0x60);
  const logBlockSize = sb.readUInt32LE(0x18);
  const blocksHigh = incompat & INCOMPAT_64BIT ? sb.readUInt32LE(0x150) : 0;
  const blocksCount = blocksHigh * 2 ** 32 + sb.readUInt32LE(0x04);
  const flavour = incompat & (INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG) ? 'ext4' : sb.readUInt32LE(0x5c) & COMPAT_HAS_JOURNAL ? 'ext3' : 'ext2';
  const corrupt = logBlockSize > 6 ? `s_log_block_size ${logBlockSize} is out of range` : blocksCount === 0 ? 's_blocks_count is 0' : null;
  return {
    magic: sb.readUInt16LE(0x38),
    blockSize: logBlockSize > 6 ? 0 : 1024 * 2 ** logBlockSize,
    blocksCount,
    flavour,
    volumeName: sb.toString('latin1', 0x78, 0x88).replace(/\0.*$/s, ''),
    hasErrors: (sb.readUInt16LE(0x3a) & 0x2) !== 0,
    corrupt,
  };
}
