import { describe, expect, it } from 'vitest';
import { RESET_SREGS } from '../../../fixtures/fake-kvm-libc.ts';
import { assembleProgram, GUEST_PROGRAM, GUEST_STAGES, MOVES_PATTERN, SPINNING_PROGRAM } from '../../../lib/host/kvm/guest-code.ts';
import {
  buildGuestImage,
  buildInitialRegs,
  buildLongModeSregs,
  buildPageTables,
  CODE_ADDRESS,
  GUEST_MEMORY_SIZE,
  PD_ADDRESS,
  PDPT_ADDRESS,
  PML4_ADDRESS,
  SCRATCH_ADDRESS,
} from '../../../lib/host/kvm/guest-memory.ts';

describe('the page tables', () => {
  it('identity-map the 4 MiB slot: PML4[0] → PDPT, PDPT[0] → PD, PD[0..1] → 2 MiB pages, present and writable', () => {
    const writes = buildPageTables();
    expect(writes.map((w) => [w.address, w.bytes.toString('hex')])).toEqual([
      [PML4_ADDRESS, '0320000000000000'], // 0x2000 | P | RW
      [PDPT_ADDRESS, '0330000000000000'], // 0x3000 | P | RW
      [PD_ADDRESS, '8300000000000000' + '8300200000000000'], // 0 and 0x200000, P | RW | PS
    ]);
  });

  it.each([0, 3 * 1024 * 1024, 2 * 1024 * 1024 * 1024])('refuses a memory size that is not a positive multiple of 2 MiB up to 1 GiB (%i)', (size) => {
    expect(() => buildPageTables(size)).toThrow(/multiple of 2 MiB/);
  });

  it('puts the code at the fixed code address after the tables, and refuses code that does not fit', () => {
    const code = assembleProgram(GUEST_PROGRAM);
    const image = buildGuestImage(code);
    expect(image.at(-1)).toMatchObject({ address: CODE_ADDRESS, bytes: code, what: 'guest code' });
    expect(() => buildGuestImage(Buffer.alloc(GUEST_MEMORY_SIZE))).toThrow(/does not fit/);
  });
});

describe('the long-mode sregs', () => {
  const sregs = buildLongModeSregs(RESET_SREGS);

  it('set CR0 to PE|MP|ET|NE|WP|AM|PG, CR4 to PAE|OSFXSR|OSXMMEXCPT, EFER to SCE|LME|LMA and CR3 to the PML4', () => {
    expect(sregs.cr0).toBe(0x80050033n);
    expect(sregs.cr4).toBe(0x620n);
    expect(sregs.efer).toBe(0x501n);
    expect(sregs.cr3).toBe(BigInt(PML4_ADDRESS));
  });

  it('load a flat 64-bit code segment (L=1, D=0) and flat data segments without any GDT in memory', () => {
    expect(sregs.cs).toEqual({ base: 0n, limit: 0xffffffff, selector: 8, type: 0xb, present: 1, dpl: 0, db: 0, s: 1, l: 1, g: 1, avl: 0, unusable: 0 });
    for (const name of ['ds', 'es', 'fs', 'gs', 'ss'] as const) {
      expect(sregs[name]).toEqual({ base: 0n, limit: 0xffffffff, selector: 0x10, type: 3, present: 1, dpl: 0, db: 1, s: 1, l: 0, g: 1, avl: 0, unusable: 0 });
    }
  });

  it('keep what KVM reset (TR, LDT, GDT, IDT, APIC base) as it was', () => {
    expect(sregs.tr).toBe(RESET_SREGS.tr);
    expect(sregs.ldt).toBe(RESET_SREGS.ldt);
    expect(sregs.gdt).toBe(RESET_SREGS.gdt);
    expect(sregs.apicBase).toBe(RESET_SREGS.apicBase);
  });

  it('start at the code with only rflags bit 1 set', () => {
    expect(buildInitialRegs()).toMatchObject({ rip: BigInt(CODE_ADDRESS), rflags: 2n, rax: 0n, rsp: 0x7000n });
  });
});

describe('the guest code', () => {
  const code = assembleProgram(GUEST_PROGRAM).toString('hex');

  it('reports each stage on its own port, with the stage number, in order', () => {
    expect(GUEST_STAGES.map((s) => [s.port, s.value])).toEqual([[0xe0, 1], [0xe1, 2], [0xe2, 3], [0xe3, 4]]);
    const outs = GUEST_PROGRAM.filter((i) => i.hex.startsWith('e6')).map((i) => i.hex);
    expect(outs).toEqual(['e6 e0', 'e6 e1', 'e6 e2', 'e6 e3']);
  });

  it('stores to and reloads from the scratch page, then writes back the PML4 entry on the page-table page', () => {
    expect(code).toContain(`48b8${Buffer.from(BigUint64Array.of(MOVES_PATTERN).buffer).toString('hex')}`); // mov rax, pattern
    expect(code).toContain(`48891c25${SCRATCH_ADDRESS.toString(16).padStart(4, '0').replace(/(..)(..)/, '$2$1')}0000`); // mov [scratch], rbx
    expect(code).toContain('48890425' + '00100000'); // mov [0x1000], rax
  });

  it('runs lock cmpxchg16b on the 16-byte-aligned PML4 after loading RDX:RAX from it, then halts', () => {
    expect(code).toContain('488b042500100000' + '488b142508100000' + '4889c3' + '4889d1' + 'f0480fc70c2500100000');
    expect(PML4_ADDRESS % 16).toBe(0);
    expect(code.endsWith('f4ebfd')).toBe(true); // hlt; jmp back to hlt
  });

  it('turns each check into the stage value or 0 with sete/neg/and before reporting', () => {
    for (const value of [2, 3, 4]) expect(code).toContain(`0f94c0f6d824${value.toString(16).padStart(2, '0')}e6`);
  });

  it('has a comment (its assembly) for every instruction, and the spinning variant ends in jmp $', () => {
    expect(GUEST_PROGRAM.every((i) => i.asm.length > 0 && /^[0-9a-f ]+$/.test(i.hex))).toBe(true);
    expect(assembleProgram(SPINNING_PROGRAM).toString('hex')).toBe('b001e6e0ebfe');
  });
});
