/**
 * The probe guest: hand-assembled x86-64 machine code that runs at CODE_ADDRESS in 64-bit mode
 * and reports each finished stage with `out STAGE_PORT, al`. Every stage checks its own work and
 * writes its stage number only when the check held (sete/neg/and turns ZF into N or 0), so a
 * wrong result is seen as a wrong value, not as progress.
 */
import { PML4_ADDRESS, SCRATCH_ADDRESS } from './guest-memory.ts';

/** The guest stages in order; `halt` is the final `hlt` after the last report. */
export type GuestStageId = 'long-mode' | 'moves' | 'page-table-write' | 'cmpxchg16b' | 'halt';

/** One reporting stage: the port its `out` uses and the value it writes when its check held. */
export interface GuestStage {
  id: GuestStageId;
  port: number;
  value: number;
  /** What the guest does in this stage, for messages. */
  title: string;
}

/** The stages that end in a progress report, in the order the guest runs them. */
export const GUEST_STAGES: readonly GuestStage[] = [
  { id: 'long-mode', port: 0xe0, value: 1, title: 'enter 64-bit mode and run a first instruction' },
  { id: 'moves', port: 0xe1, value: 2, title: 'plain register and memory moves' },
  { id: 'page-table-write', port: 0xe2, value: 3, title: 'read and write back a page-table entry (a store to its own page-table page)' },
  { id: 'cmpxchg16b', port: 0xe3, value: 4, title: 'lock cmpxchg16b on the page-table page' },
];

/** The final stage: `hlt` after every report (KVM_EXIT_HLT). */
export const HALT_STAGE = { id: 'halt', title: 'halt after all stages' } as const;

/** The pattern the `moves` stage stores to and loads from the scratch page. */
export const MOVES_PATTERN = 0x0c7a1ab05eedf00dn;

/** One instruction: its bytes (hex) and its assembly, which doubles as the per-instruction comment. */
export interface Instruction {
  hex: string;
  asm: string;
}

const ins = (hex: string, asm: string): Instruction => ({ hex, asm });
const le32 = (value: number) => Buffer.from(Uint32Array.of(value).buffer).toString('hex').replace(/(..)/g, '$1 ').trim();
const le64 = (value: bigint) => Buffer.from(BigUint64Array.of(value).buffer).toString('hex').replace(/(..)/g, '$1 ').trim();
const port = (id: GuestStageId) => GUEST_STAGES.find((s) => s.id === id)!.port.toString(16);

// ModRM 0x04/0x0c/0x14/0x1c with SIB 0x25 = [disp32] absolute addressing for rax/rcx/rdx/rbx.
const PML4 = le32(PML4_ADDRESS);
const PML4_HIGH = le32(PML4_ADDRESS + 8);
const SCRATCH = le32(SCRATCH_ADDRESS);

/** Turns ZF into `value` (ZF=1) or 0 (ZF=0) in al: sete al; neg al; and al, value. */
const reportZf = (value: number): Instruction[] => [
  ins('0f 94 c0', 'sete al                  ; al = 1 when the compare held'),
  ins('f6 d8', 'neg al                   ; 1 → 0xff, 0 → 0'),
  ins(`24 ${value.toString(16).padStart(2, '0')}`, `and al, ${value}                ; → ${value} or 0`),
];

/** The probe's instructions, stage by stage. */
export const GUEST_PROGRAM: readonly Instruction[] = [
  // long-mode: if this runs at all, the vCPU entered 64-bit mode through the sregs we set.
  ins('b0 01', 'mov al, 1'),
  ins(`e6 ${port('long-mode')}`, `out 0x${port('long-mode')}, al            ; report stage 1`),
  // moves: register moves, then a store to and a load from an ordinary data page.
  ins(`48 b8 ${le64(MOVES_PATTERN)}`, `mov rax, 0x${MOVES_PATTERN.toString(16)}`),
  ins('48 89 c3', 'mov rbx, rax'),
  ins(`48 89 1c 25 ${SCRATCH}`, `mov [0x${SCRATCH_ADDRESS.toString(16)}], rbx           ; store to the scratch page`),
  ins(`48 8b 0c 25 ${SCRATCH}`, `mov rcx, [0x${SCRATCH_ADDRESS.toString(16)}]           ; load it back`),
  ins('48 39 c1', 'cmp rcx, rax'),
  ...reportZf(2),
  ins(`e6 ${port('moves')}`, `out 0x${port('moves')}, al            ; report stage 2`),
  // page-table-write: read PML4[0] and store it back into the live PML4 page.
  ins(`48 8b 04 25 ${PML4}`, `mov rax, [0x${PML4_ADDRESS.toString(16)}]           ; PML4[0]`),
  ins(`48 89 04 25 ${PML4}`, `mov [0x${PML4_ADDRESS.toString(16)}], rax           ; write it back: a store to its own page-table page`),
  ins(`48 8b 0c 25 ${PML4}`, `mov rcx, [0x${PML4_ADDRESS.toString(16)}]           ; read it again`),
  ins('48 39 c1', 'cmp rcx, rax'),
  ...reportZf(3),
  ins(`e6 ${port('page-table-write')}`, `out 0x${port('page-table-write')}, al            ; report stage 3`),
  // cmpxchg16b: compare RDX:RAX with PML4[1]:PML4[0] and swap in RCX:RBX, the same values.
  ins(`48 8b 04 25 ${PML4}`, `mov rax, [0x${PML4_ADDRESS.toString(16)}]           ; low qword: PML4[0]`),
  ins(`48 8b 14 25 ${PML4_HIGH}`, `mov rdx, [0x${(PML4_ADDRESS + 8).toString(16)}]           ; high qword: PML4[1]`),
  ins('48 89 c3', 'mov rbx, rax             ; new low = old low'),
  ins('48 89 d1', 'mov rcx, rdx             ; new high = old high'),
  ins(`f0 48 0f c7 0c 25 ${PML4}`, `lock cmpxchg16b [0x${PML4_ADDRESS.toString(16)}]  ; 16-byte aligned, on the PML4 page`),
  ...reportZf(4),
  ins(`e6 ${port('cmpxchg16b')}`, `out 0x${port('cmpxchg16b')}, al            ; report stage 4`),
  // halt: KVM_EXIT_HLT; should the vCPU ever resume, it halts again.
  ins('f4', 'hlt'),
  ins('eb fd', 'jmp -3                   ; back to hlt'),
];

/** A guest that reports stage 1 and then spins forever: proves the deadline stops a vCPU that never exits. */
export const SPINNING_PROGRAM: readonly Instruction[] = [
  ins('b0 01', 'mov al, 1'),
  ins(`e6 ${port('long-mode')}`, `out 0x${port('long-mode')}, al            ; report stage 1`),
  ins('eb fe', 'jmp $                    ; spin without ever exiting'),
];

/** Returns the machine code of a program: its instructions' bytes, concatenated. */
export function assembleProgram(program: readonly Instruction[]): Buffer {
  return Buffer.concat(program.map((instruction) => Buffer.from(instruction.hex.replace(/\s+/g, ''), 'hex')));
}
