import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRunArea, FAKE_RUN_SIZE, RESET_SREGS } from '../../../fixtures/fake-kvm-libc.ts';
import { exits } from '../../../fixtures/fake-kvm.ts';
import { encodeItimerspec, encodeThreadSigevent } from '../../../lib/host/kvm/deadline-kick.ts';
import * as ioctls from '../../../lib/host/kvm/ioctl-numbers.ts';
import {
  allocateCpuid2,
  cpuid2EntryCount,
  decodeRegs,
  decodeSregs,
  encodeMemoryRegion,
  encodeRegs,
  encodeSregs,
  SREGS_SIZE,
} from '../../../lib/host/kvm/kvm-structs.ts';
import { buildInitialRegs, buildLongModeSregs } from '../../../lib/host/kvm/guest-memory.ts';
import { decodeRunArea, type VcpuExit } from '../../../lib/host/kvm/vcpu-exit.ts';

describe('the KVM ioctl numbers', () => {
  it.each([
    ['KVM_GET_API_VERSION', ioctls.KVM_GET_API_VERSION, 0xae00],
    ['KVM_CREATE_VM', ioctls.KVM_CREATE_VM, 0xae01],
    ['KVM_GET_VCPU_MMAP_SIZE', ioctls.KVM_GET_VCPU_MMAP_SIZE, 0xae04],
    ['KVM_GET_SUPPORTED_CPUID', ioctls.KVM_GET_SUPPORTED_CPUID, 0xc008ae05],
    ['KVM_CREATE_VCPU', ioctls.KVM_CREATE_VCPU, 0xae41],
    ['KVM_SET_USER_MEMORY_REGION', ioctls.KVM_SET_USER_MEMORY_REGION, 0x4020ae46],
    ['KVM_SET_TSS_ADDR', ioctls.KVM_SET_TSS_ADDR, 0xae47],
    ['KVM_RUN', ioctls.KVM_RUN, 0xae80],
    ['KVM_SET_REGS', ioctls.KVM_SET_REGS, 0x4090ae82],
    ['KVM_GET_SREGS', ioctls.KVM_GET_SREGS, 0x8138ae83],
    ['KVM_SET_SREGS', ioctls.KVM_SET_SREGS, 0x4138ae84],
    ['KVM_SET_CPUID2', ioctls.KVM_SET_CPUID2, 0x4008ae90],
  ])('computes %s as <linux/kvm.h> defines it', (name, value, expected) => {
    expect(value).toBe(expected);
    expect(ioctls.ioctlName(value)).toBe(name);
  });

  it('refuses an argument size that does not fit the 14-bit size field', () => {
    expect(() => ioctls.ioc(1, 0xae, 0, 1 << 14)).toThrow(RangeError);
  });
});

describe('the struct encoders', () => {
  it('lay out kvm_userspace_memory_region as slot, flags, guest_phys_addr, memory_size, userspace_addr', () => {
    const buf = encodeMemoryRegion({ slot: 1, flags: 2, guestPhysAddr: 0x1000n, memorySize: 0x400000n, userspaceAddr: 0x7f0012340000n });
    expect(buf.toString('hex')).toBe('01000000' + '02000000' + '0010000000000000' + '0000400000000000' + '00003412007f0000');
  });

  it('round-trip kvm_regs and kvm_sregs unchanged (312 bytes, segments at 24-byte strides)', () => {
    const regs = { ...buildInitialRegs(), r15: 0xfedcba9876543210n };
    expect(decodeRegs(encodeRegs(regs))).toEqual(regs);
    const sregs = buildLongModeSregs(RESET_SREGS);
    const bytes = encodeSregs(sregs);
    expect(bytes.length).toBe(SREGS_SIZE);
    expect(decodeSregs(bytes)).toEqual(sregs);
    expect(bytes.readUInt8(19)).toBe(1); // cs.l
    expect(bytes.readBigUInt64LE(240)).toBe(0x1000n); // cr3
    expect(bytes.readBigUInt64LE(264)).toBe(0x501n); // efer
  });

  it('refuse to decode a short kvm_sregs, and a kvm_cpuid2 that claims more entries than it has room for', () => {
    expect(() => decodeSregs(Buffer.alloc(100))).toThrow(/312 bytes/);
    const cpuid = allocateCpuid2(2);
    expect(cpuid2EntryCount(cpuid)).toBe(2);
    cpuid.writeUInt32LE(3, 0);
    expect(() => cpuid2EntryCount(cpuid)).toThrow(/room for 2/);
  });

  it('build a SIGEV_THREAD_ID sigevent and an itimerspec with the interval first', () => {
    const sev = encodeThreadSigevent(14, 4242);
    expect([sev.length, sev.readInt32LE(8), sev.readInt32LE(12), sev.readInt32LE(16)]).toEqual([64, 14, 4, 4242]);
    const spec = encodeItimerspec(1500.5, 5);
    expect([0, 8, 16, 24].map((at) => spec.readBigInt64LE(at))).toEqual([0n, 5_000_000n, 1n, 500_500_000n]);
  });
});

describe('the kvm_run decoder', () => {
  const decode = (exit: VcpuExit) => {
    const area = Buffer.alloc(FAKE_RUN_SIZE);
    encodeRunArea(exit, area);
    return decodeRunArea(area, area.length, (offset, length) => area.subarray(offset, offset + length));
  };

  it.each([
    ['an I/O exit', exits.out(0xe2, 3)],
    ['hlt', exits.hlt()],
    ['shutdown', exits.shutdown()],
    ['an entry failure', exits.failEntry(0x80000021n)],
    ['an emulation failure with instruction bytes', exits.emulationFailure(Buffer.from('f0480fc70c2500100000', 'hex'))],
    ['an internal error without them', exits.internalError(4)],
    ['an MMIO exit', exits.mmio(0xfee00000n)],
    ['an unknown exit', exits.other(24)],
  ])('reads back %s as KVM writes it', (_name, exit) => {
    expect(decode(exit)).toEqual(exit);
  });

  it('reads any OUT exit back as written (port, size, count, data)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ minLength: 1, maxLength: 8 }), (port, data) => {
        const exit: VcpuExit = { kind: 'io', reason: 2, direction: 'out', port, size: data.length, count: 1, data: Buffer.from(data) };
        expect(decode(exit)).toEqual(exit);
      }),
    );
  });

  it('refuses I/O data that would lie outside the kvm_run area', () => {
    const area = Buffer.alloc(FAKE_RUN_SIZE);
    encodeRunArea(exits.out(0xe0, 1), area);
    area.writeBigUInt64LE(BigInt(FAKE_RUN_SIZE), 40); // data_offset at the very end
    expect(() => decodeRunArea(area, area.length, () => Buffer.alloc(0))).toThrow(/outside the 12288-byte run area/);
  });
});
