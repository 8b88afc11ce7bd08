import { constants } from 'node:os';
import type Koffi from 'koffi';

/** koffi (a native addon, ~20 ms to load) is required on first use, so importing this module costs nothing. */
export function requireKoffi(): typeof Koffi {
  return process.getBuiltinModule('node:module').createRequire(import.meta.url)('koffi') as typeof Koffi;
}

/**
 * The few libc calls Node does not offer (ioctl, mmap), bound through koffi's FFI.
 * Loaded lazily so that importing the library never needs libc on a machine that only runs fakes.
 */
export interface Libc {
  open(path: string, flags: number): number;
  close(fd: number): number;
  /** ioctl with an integer (or pointer-as-integer) argument. */
  ioctl(fd: number, request: number, arg: number | bigint): number;
  /** ioctl whose argument is a pointer to a buffer the kernel reads or fills. */
  ioctlBuffer(fd: number, request: number, arg: Buffer): number;
  mmap(length: number, prot: number, flags: number, fd: number, offset: number): bigint;
  munmap(address: bigint, length: number): number;
  /** errno of the last failed call on this thread. */
  errno(): number;
}

/** open(2) flags and mmap constants used with the bindings. */
export const O_RDWR = 0o2;
export const O_CLOEXEC = 0o2000000;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x01;
export const MAP_ANONYMOUS = 0x20;
export const MAP_NORESERVE = 0x4000;
export const MAP_FAILED = (1n << 64n) - 1n;

let bound: Libc | undefined;

/** Returns the libc bindings, binding them on first use. */
export function loadLibc(): Libc {
  if (bound) return bound;
  const koffi = requireKoffi();
  const lib = koffi.load('libc.so.6');
  const open = lib.func('int open(const char *path, int flags)');
  const close = lib.func('int close(int fd)');
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, uintptr_t arg)');
  const ioctlBuffer = lib.func('ioctl', 'int', ['int', 'unsigned long', 'void *']);
  const mmap = lib.func('uintptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, intptr_t offset)');
  const munmap = lib.func('int munmap(uintptr_t addr, size_t length)');
  bound = {
    open: (path, flags) => open(path, flags) as number,
    close: (fd) => close(fd) as number,
    ioctl: (fd, request, arg) => ioctl(fd, request, arg) as number,
    ioctlBuffer: (fd, request, arg) => ioctlBuffer(fd, request, arg) as number,
    mmap: (length, prot, flags, fd, offset) => BigInt(mmap(0, length, prot, flags, fd, offset) as number | bigint),
    munmap: (address, length) => munmap(address, length) as number,
    errno: () => koffi.errno() as number,
  };
  return bound;
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, value]) => [value, name]));

/** Maps an errno number to its name (EACCES, EBUSY, …). */
export function errnoName(value: number): string {
  return errnoNames.get(value) ?? `errno ${value}`;
}
