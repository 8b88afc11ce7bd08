/**
 * Reads just enough of an ELF file to tell a static executable (what a rootfs without libraries
 * needs) from a dynamic one: a PT_INTERP program header names the dynamic loader.
 */

/** What the ELF header says. */
export type ElfLinkage =
  | { kind: 'static'; machine: number }
  | { kind: 'dynamic'; machine: number; interpreterOffset: number; interpreterSize: number }
  | { kind: 'not-elf'; why: string };

const PT_INTERP = 3;

/** ELF e_machine values for the architectures Firecracker supports. */
export const ELF_MACHINE: Record<string, number> = { x64: 0x3e, arm64: 0xb7 };

/** Parses the ELF64 header and its program headers (`read(offset, length)` reads the file). */
export async function readElfLinkage(read: (offset: number, length: number) => Promise<Buffer>): Promise<ElfLinkage> {
  const header = await read(0, 64);
  if (header.length < 64 || !header.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return { kind: 'not-elf', why: 'no ELF magic' };
  if (header[4] !== 2) return { kind: 'not-elf', why: 'not a 64-bit ELF' };
  if (header[5] !== 1) return { kind: 'not-elf', why: 'not little-endian' };
  const machine = header.readUInt16LE(0x12);
  const phoff = Number(header.readBigUInt64LE(0x20));
  const phentsize = header.readUInt16LE(0x36);
  const phnum = header.readUInt16LE(0x38);
  if (phentsize < 56 || phnum > 512) return { kind: 'not-elf', why: 'implausible program header table' };
  const table = await read(phoff, phentsize * phnum);
  for (let i = 0; i + phentsize <= table.length; i += phentsize) {
    if (table.readUInt32LE(i) === PT_INTERP) {
      return { kind: 'dynamic', machine, interpreterOffset: Number(table.readBigUInt64LE(i + 8)), interpreterSize: Number(table.readBigUInt64LE(i + 32)) };
    }
  }
  return { kind: 'static', machine };
}
