import koffi from 'koffi';
import { loadLibc, type Libc } from '../libc.ts';

/**
 * What the guest probe needs from libc: the shared bindings (open, close, ioctl, mmap, munmap,
 * errno) plus copies into and out of memory this module mapped (guest memory, kvm_run).
 * fixtures/fake-kvm-libc.ts implements it in memory for the unit suite.
 */
export interface KvmNative extends Libc {
  /** Copies `bytes` to process memory at `address` (inside a mapping the probe made). */
  writeMemory(address: bigint, bytes: Buffer): void;
  /** Copies `length` bytes from process memory at `address` into a new Buffer. */
  readMemory(address: bigint, length: number): Buffer;
}

let bound: KvmNative | undefined;

/** Returns the libc bindings plus memcpy in both directions, binding them on first use. */
export function loadKvmNative(): KvmNative {
  if (bound) return bound;
  const lib = koffi.load('libc.so.6');
  // Two views of memcpy: Buffer → address, and address → Buffer. Copies, not views, so nothing
  // in JavaScript can point into a mapping after it is unmapped.
  const copyIn = lib.func('memcpy', 'uintptr_t', ['uintptr_t', 'void *', 'size_t']);
  const copyOut = lib.func('memcpy', 'uintptr_t', ['void *', 'uintptr_t', 'size_t']);
  bound = {
    ...loadLibc(),
    writeMemory: (address, bytes) => {
      if (bytes.length > 0) copyIn(address, bytes, bytes.length);
    },
    readMemory: (address, length) => {
      const out = Buffer.alloc(length);
      if (length > 0) copyOut(out, address, length);
      return out;
    },
  };
  return bound;
}
