/**
 * The <linux/kvm.h> structs the probe passes to ioctls (x86_64 layouts, little-endian), as plain
 * objects with pure encoders and decoders. Offsets are the kernel's; sizes feed the ioctl numbers.
 */

/** sizeof(struct kvm_userspace_memory_region): slot, flags (u32), guest_phys_addr, memory_size, userspace_addr (u64). */
export const MEMORY_REGION_SIZE = 32;
/** sizeof(struct kvm_regs): 18 u64 (rax … r15, rip, rflags). */
export const REGS_SIZE = 144;
/** sizeof(struct kvm_sregs): 8 segments (24) + gdt, idt (16) + 7 u64 + interrupt_bitmap[4] (u64). */
export const SREGS_SIZE = 312;
/** sizeof(struct kvm_cpuid2) without its flexible array: nent (u32) + padding (u32). */
export const CPUID2_HEADER_SIZE = 8;
/** sizeof(struct kvm_cpuid_entry2): function, index, flags, eax, ebx, ecx, edx, padding[3] (u32). */
export const CPUID_ENTRY2_SIZE = 40;

/** struct kvm_userspace_memory_region: one guest-physical range backed by process memory. */
export interface MemoryRegion {
  slot: number;
  flags: number;
  guestPhysAddr: bigint;
  memorySize: bigint;
  userspaceAddr: bigint;
}

/** Returns the 32 bytes KVM_SET_USER_MEMORY_REGION reads. */
export function encodeMemoryRegion(region: MemoryRegion): Buffer {
  const buf = Buffer.alloc(MEMORY_REGION_SIZE);
  buf.writeUInt32LE(region.slot, 0);
  buf.writeUInt32LE(region.flags, 4);
  buf.writeBigUInt64LE(region.guestPhysAddr, 8);
  buf.writeBigUInt64LE(region.memorySize, 16);
  buf.writeBigUInt64LE(region.userspaceAddr, 24);
  return buf;
}

/** The general-purpose register names in struct kvm_regs order. */
export const REG_NAMES = [
  'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'rbp',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'rflags',
] as const;

/** struct kvm_regs as named 64-bit values. */
export type KvmRegs = Record<(typeof REG_NAMES)[number], bigint>;

/** Returns the 144 bytes KVM_SET_REGS reads. */
export function encodeRegs(regs: KvmRegs): Buffer {
  const buf = Buffer.alloc(REGS_SIZE);
  REG_NAMES.forEach((name, i) => buf.writeBigUInt64LE(regs[name], i * 8));
  return buf;
}

/** Decodes struct kvm_regs. */
export function decodeRegs(buf: Buffer): KvmRegs {
  const entries = REG_NAMES.map((name, i) => [name, buf.readBigUInt64LE(i * 8)] as const);
  return Object.fromEntries(entries) as KvmRegs;
}

/** struct kvm_segment (24 bytes): a segment register's hidden part, set directly, no GDT needed. */
export interface KvmSegment {
  base: bigint;
  limit: number;
  selector: number;
  type: number;
  present: number;
  dpl: number;
  /** Default operand size (D/B bit). */
  db: number;
  /** 1 = code/data, 0 = system segment. */
  s: number;
  /** 64-bit code segment (L bit). */
  l: number;
  /** Granularity: limit in 4 KiB units. */
  g: number;
  avl: number;
  unusable: number;
}

/** struct kvm_dtable (16 bytes): GDT or IDT base and limit. */
export interface KvmDtable {
  base: bigint;
  limit: number;
}

/** struct kvm_sregs: segments, descriptor tables, control registers, EFER. */
export interface KvmSregs {
  cs: KvmSegment;
  ds: KvmSegment;
  es: KvmSegment;
  fs: KvmSegment;
  gs: KvmSegment;
  ss: KvmSegment;
  tr: KvmSegment;
  ldt: KvmSegment;
  gdt: KvmDtable;
  idt: KvmDtable;
  cr0: bigint;
  cr2: bigint;
  cr3: bigint;
  cr4: bigint;
  cr8: bigint;
  efer: bigint;
  apicBase: bigint;
  /** interrupt_bitmap[4], kept as read so a round trip changes nothing else. */
  interruptBitmap: [bigint, bigint, bigint, bigint];
}

const SEGMENT_NAMES = ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'tr', 'ldt'] as const;
const SEGMENT_SIZE = 24;
const SEGMENT_FLAGS = ['type', 'present', 'dpl', 'db', 's', 'l', 'g', 'avl', 'unusable'] as const;
const GDT_OFFSET = 192;
const IDT_OFFSET = 208;
const CONTROL_OFFSET = 224;
const CONTROL_NAMES = ['cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer', 'apicBase'] as const;
const BITMAP_OFFSET = 280;

function decodeSegment(buf: Buffer, at: number): KvmSegment {
  const flags = Object.fromEntries(SEGMENT_FLAGS.map((name, i) => [name, buf.readUInt8(at + 14 + i)]));
  return {
    base: buf.readBigUInt64LE(at),
    limit: buf.readUInt32LE(at + 8),
    selector: buf.readUInt16LE(at + 12),
    ...(flags as Record<(typeof SEGMENT_FLAGS)[number], number>),
  };
}

function encodeSegment(buf: Buffer, at: number, seg: KvmSegment): void {
  buf.writeBigUInt64LE(seg.base, at);
  buf.writeUInt32LE(seg.limit, at + 8);
  buf.writeUInt16LE(seg.selector, at + 12);
  SEGMENT_FLAGS.forEach((name, i) => buf.writeUInt8(seg[name], at + 14 + i));
}

/** Decodes the 312 bytes KVM_GET_SREGS fills. */
export function decodeSregs(buf: Buffer): KvmSregs {
  if (buf.length < SREGS_SIZE) throw new RangeError(`kvm_sregs needs ${SREGS_SIZE} bytes, got ${buf.length}`);
  const segments = Object.fromEntries(SEGMENT_NAMES.map((name, i) => [name, decodeSegment(buf, i * SEGMENT_SIZE)]));
  const control = Object.fromEntries(CONTROL_NAMES.map((name, i) => [name, buf.readBigUInt64LE(CONTROL_OFFSET + i * 8)]));
  const bitmap = [0, 1, 2, 3].map((i) => buf.readBigUInt64LE(BITMAP_OFFSET + i * 8));
  return {
    ...(segments as Record<(typeof SEGMENT_NAMES)[number], KvmSegment>),
    gdt: { base: buf.readBigUInt64LE(GDT_OFFSET), limit: buf.readUInt16LE(GDT_OFFSET + 8) },
    idt: { base: buf.readBigUInt64LE(IDT_OFFSET), limit: buf.readUInt16LE(IDT_OFFSET + 8) },
    ...(control as Record<(typeof CONTROL_NAMES)[number], bigint>),
    interruptBitmap: bitmap as [bigint, bigint, bigint, bigint],
  };
}

/** Returns the 312 bytes KVM_SET_SREGS reads. */
export function encodeSregs(sregs: KvmSregs): Buffer {
  const buf = Buffer.alloc(SREGS_SIZE);
  SEGMENT_NAMES.forEach((name, i) => encodeSegment(buf, i * SEGMENT_SIZE, sregs[name]));
  for (const [at, table] of [[GDT_OFFSET, sregs.gdt], [IDT_OFFSET, sregs.idt]] as const) {
    buf.writeBigUInt64LE(table.base, at);
    buf.writeUInt16LE(table.limit, at + 8);
  }
  CONTROL_NAMES.forEach((name, i) => buf.writeBigUInt64LE(sregs[name], CONTROL_OFFSET + i * 8));
  sregs.interruptBitmap.forEach((word, i) => buf.writeBigUInt64LE(word, BITMAP_OFFSET + i * 8));
  return buf;
}

/** Returns a zeroed struct kvm_cpuid2 with room for `capacity` entries (nent = capacity), for KVM_GET_SUPPORTED_CPUID. */
export function allocateCpuid2(capacity: number): Buffer {
  const buf = Buffer.alloc(CPUID2_HEADER_SIZE + capacity * CPUID_ENTRY2_SIZE);
  buf.writeUInt32LE(capacity, 0);
  return buf;
}

/** Returns the entry count the kernel wrote into a kvm_cpuid2 buffer, checked against its room. */
export function cpuid2EntryCount(buf: Buffer): number {
  const nent = buf.readUInt32LE(0);
  const room = Math.floor((buf.length - CPUID2_HEADER_SIZE) / CPUID_ENTRY2_SIZE);
  if (nent > room) throw new RangeError(`kvm_cpuid2 claims ${nent} entries but has room for ${room}`);
  return nent;
}
