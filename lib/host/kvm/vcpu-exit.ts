/**
 * What one KVM_RUN call ended with, decoded from the vCPU's mmapped `struct kvm_run`, and the
 * driver interface the stage logic runs against (the real vCPU, or fixtures/fake-kvm.ts).
 */
import { KVM_EXIT, KVM_INTERNAL_ERROR } from './ioctl-numbers.ts';

/** Offset of kvm_run.exit_reason (x86_64); the per-exit union starts at 32. */
export const RUN_EXIT_REASON_OFFSET = 8;
const UNION = 32;
/** Bytes of kvm_run holding the header and the exit union (the union is 256 bytes). */
export const RUN_HEADER_BYTES = UNION + 256;
/** KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES: emulation_failure carries insn_size/insn_bytes. */
const EMULATION_FLAG_INSTRUCTION_BYTES = 1n;

/**
 * One KVM_RUN outcome. `reason` is kvm_run.exit_reason; `interrupted` means KVM_RUN returned EINTR
 * (the deadline kick or a stray signal); `run-error` means KVM_RUN itself failed with an errno.
 */
export type VcpuExit =
  | { kind: 'io'; reason: number; direction: 'in' | 'out'; port: number; size: number; count: number; data: Buffer }
  | { kind: 'hlt'; reason: number }
  | { kind: 'shutdown'; reason: number }
  | { kind: 'fail-entry'; reason: number; hardwareReason: bigint; cpu: number }
  | { kind: 'internal-error'; reason: number; suberror: number; data: bigint[]; instructionBytes: Buffer | null }
  | { kind: 'mmio'; reason: number; address: bigint; length: number; isWrite: boolean }
  | { kind: 'other'; reason: number }
  | { kind: 'interrupted' }
  | { kind: 'run-error'; errno: string };

/** Enters the guest until its next exit. The real one wraps KVM_RUN; the fake replays a script. */
export interface VcpuDriver {
  run(): VcpuExit;
}

/** Reads `length` bytes at `offset` of the kvm_run area (the real driver copies from the mapping). */
export type RunAreaReader = (offset: number, length: number) => Buffer;

/**
 * Decodes kvm_run after KVM_RUN returned 0. `header` holds its first RUN_HEADER_BYTES; I/O data
 * lives elsewhere in the area (data_offset), read through `readAt` after a bounds check.
 */
export function decodeRunArea(header: Buffer, areaSize: number, readAt: RunAreaReader): VcpuExit {
  const reason = header.readUInt32LE(RUN_EXIT_REASON_OFFSET);
  switch (reason) {
    case KVM_EXIT.IO: {
      const size = header.readUInt8(UNION + 1);
      const count = header.readUInt32LE(UNION + 4);
      const dataOffset = header.readBigUInt64LE(UNION + 8);
      const length = size * count;
      if (dataOffset + BigInt(length) > BigInt(areaSize) || length > 4096) {
        throw new RangeError(`kvm_run I/O data (offset ${dataOffset}, ${length} bytes) lies outside the ${areaSize}-byte run area`);
      }
      const direction = header.readUInt8(UNION) === 1 ? 'out' : 'in';
      return { kind: 'io', reason, direction, port: header.readUInt16LE(UNION + 2), size, count, data: readAt(Number(dataOffset), length) };
    }
    case KVM_EXIT.HLT:
      return { kind: 'hlt', reason };
    case KVM_EXIT.SHUTDOWN:
      return { kind: 'shutdown', reason };
    case KVM_EXIT.FAIL_ENTRY:
      return { kind: 'fail-entry', reason, hardwareReason: header.readBigUInt64LE(UNION), cpu: header.readUInt32LE(UNION + 8) };
    case KVM_EXIT.INTERNAL_ERROR:
      return decodeInternalError(header, reason);
    case KVM_EXIT.MMIO:
      return {
        kind: 'mmio',
        reason,
        address: header.readBigUInt64LE(UNION),
        length: header.readUInt32LE(UNION + 16),
        isWrite: header.readUInt8(UNION + 20) !== 0,
      };
    default:
      return { kind: 'other', reason };
  }
}

/** internal: suberror, ndata, data[16]; an emulation failure may carry the instruction's bytes. */
function decodeInternalError(header: Buffer, reason: number): VcpuExit {
  const suberror = header.readUInt32LE(UNION);
  const ndata = Math.min(header.readUInt32LE(UNION + 4), 16);
  const data = Array.from({ length: ndata }, (_, i) => header.readBigUInt64LE(UNION + 8 + i * 8));
  let instructionBytes: Buffer | null = null;
  const flags = data[0] ?? 0n;
  if (suberror === KVM_INTERNAL_ERROR.EMULATION && ndata >= 2 && (flags & EMULATION_FLAG_INSTRUCTION_BYTES) !== 0n) {
    // emulation_failure: flags (u64) at 40, insn_size (u8) at 48, insn_bytes[15] at 49.
    const size = Math.min(header.readUInt8(UNION + 16), 15);
    instructionBytes = Buffer.from(header.subarray(UNION + 17, UNION + 17 + size));
  }
  return { kind: 'internal-error', reason, suberror, data, instructionBytes };
}
