/**
 * The probe guest's memory and CPU state, built as pure values: identity-mapped page tables
 * (PML4 → PDPT → PD with 2 MiB pages), the code at a fixed address, long-mode sregs set directly
 * (no GDT in memory: the hidden segment parts go straight into kvm_sregs) and the first registers.
 */
import type { KvmRegs, KvmSegment, KvmSregs } from './kvm-structs.ts';

/** Guest memory: one slot of 4 MiB at guest-physical 0, backed by an anonymous shared mapping. */
export const GUEST_MEMORY_SIZE = 4 * 1024 * 1024;
/** Page-table pages, each 4 KiB and 4 KiB aligned. */
export const PML4_ADDRESS = 0x1000;
export const PDPT_ADDRESS = 0x2000;
export const PD_ADDRESS = 0x3000;
/** An ordinary data page the `moves` stage writes to. */
export const SCRATCH_ADDRESS = 0x5000;
/** Top of a stack page the guest never uses (rsp points somewhere sane all the same). */
export const STACK_TOP = 0x7000;
/** Where the code is copied and where rip starts. */
export const CODE_ADDRESS = 0x8000;

/** Page-table entry bits. */
export const PTE = { PRESENT: 1n << 0n, WRITABLE: 1n << 1n, PAGE_SIZE: 1n << 7n } as const;
/** CR0 bits: protected mode, paging, and the usual MP/ET/NE/WP/AM. */
export const CR0 = { PE: 1n << 0n, MP: 1n << 1n, ET: 1n << 4n, NE: 1n << 5n, WP: 1n << 16n, AM: 1n << 18n, PG: 1n << 31n } as const;
/** CR4 bits: PAE (required for long mode) and SSE enablement. */
export const CR4 = { PAE: 1n << 5n, OSFXSR: 1n << 9n, OSXMMEXCPT: 1n << 10n } as const;
/** EFER bits: long mode enabled and active, SYSCALL enabled. */
export const EFER = { SCE: 1n << 0n, LME: 1n << 8n, LMA: 1n << 10n } as const;

const TWO_MIB = 2 * 1024 * 1024;

/** A run of bytes to copy into guest memory at a guest-physical address. */
export interface GuestMemoryWrite {
  address: number;
  bytes: Buffer;
  /** What the bytes are, for messages and tests. */
  what: string;
}

/** Returns the 8-byte little-endian encoding of a page-table entry. */
function entry(value: bigint): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64LE(value);
  return buf;
}

/** Returns the page-table writes: PML4[0] → PDPT, PDPT[0] → PD, PD[i] → 2 MiB page i, covering `memorySize`. */
export function buildPageTables(memorySize = GUEST_MEMORY_SIZE): GuestMemoryWrite[] {
  if (memorySize % TWO_MIB !== 0 || memorySize <= 0 || memorySize > 512 * TWO_MIB) {
    throw new RangeError(`guest memory must be a positive multiple of 2 MiB up to 1 GiB, got ${memorySize}`);
  }
  const table = PTE.PRESENT | PTE.WRITABLE;
  const pages = Array.from({ length: memorySize / TWO_MIB }, (_, i) => entry(BigInt(i * TWO_MIB) | table | PTE.PAGE_SIZE));
  return [
    { address: PML4_ADDRESS, bytes: entry(BigInt(PDPT_ADDRESS) | table), what: 'PML4[0] → PDPT' },
    { address: PDPT_ADDRESS, bytes: entry(BigInt(PD_ADDRESS) | table), what: 'PDPT[0] → PD' },
    { address: PD_ADDRESS, bytes: Buffer.concat(pages), what: `PD[0..${pages.length - 1}] → 2 MiB pages` },
  ];
}

/** Returns every write the guest needs: the page tables, then the code at CODE_ADDRESS. */
export function buildGuestImage(code: Buffer, memorySize = GUEST_MEMORY_SIZE): GuestMemoryWrite[] {
  if (CODE_ADDRESS + code.length > memorySize) throw new RangeError(`guest code of ${code.length} bytes does not fit`);
  return [...buildPageTables(memorySize), { address: CODE_ADDRESS, bytes: code, what: 'guest code' }];
}

/** A flat 4 GiB segment with the given selector and type; `long` makes it a 64-bit code segment. */
function flatSegment(selector: number, type: number, long: boolean): KvmSegment {
  return {
    base: 0n,
    limit: 0xffffffff,
    selector,
    type,
    present: 1,
    dpl: 0,
    db: long ? 0 : 1, // L=1 requires D=0
    s: 1,
    l: long ? 1 : 0,
    g: 1,
    avl: 0,
    unusable: 0,
  };
}

/** The 64-bit code segment: selector 0x08, type 0xb (execute/read, accessed), L=1. */
export const CODE_SEGMENT = flatSegment(0x08, 0xb, true);
/** The flat data segment for DS/ES/FS/GS/SS: selector 0x10, type 0x3 (read/write, accessed). */
export const DATA_SEGMENT = flatSegment(0x10, 0x3, false);

/**
 * Returns `current` (what KVM_GET_SREGS said) switched to 64-bit long mode: CS with L=1, flat data
 * segments, CR3 at the PML4, CR4.PAE, CR0.PE|PG and EFER.LME|LMA. TR, LDT, GDT, IDT, CR8, the APIC
 * base and the interrupt bitmap stay as KVM reset them.
 */
export function buildLongModeSregs(current: KvmSregs): KvmSregs {
  return {
    ...current,
    cs: CODE_SEGMENT,
    ds: DATA_SEGMENT,
    es: DATA_SEGMENT,
    fs: DATA_SEGMENT,
    gs: DATA_SEGMENT,
    ss: DATA_SEGMENT,
    cr0: CR0.PE | CR0.MP | CR0.ET | CR0.NE | CR0.WP | CR0.AM | CR0.PG,
    cr2: 0n,
    cr3: BigInt(PML4_ADDRESS),
    cr4: CR4.PAE | CR4.OSFXSR | CR4.OSXMMEXCPT,
    efer: EFER.SCE | EFER.LME | EFER.LMA,
  };
}

/** Returns the first registers: rip at the code, rsp at the stack top, rflags with only its fixed bit 1. */
export function buildInitialRegs(): KvmRegs {
  const zero = 0n;
  return {
    rax: zero, rbx: zero, rcx: zero, rdx: zero, rsi: zero, rdi: zero, rsp: BigInt(STACK_TOP), rbp: zero,
    r8: zero, r9: zero, r10: zero, r11: zero, r12: zero, r13: zero, r14: zero, r15: zero,
    rip: BigInt(CODE_ADDRESS),
    rflags: 0x2n,
  };
}
