import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Random bytes from the kernel's /dev/urandom, read synchronously (16 bytes: one short read).
 * node:crypto costs a boot about 2.5 ms to load (it pulls in its cipher and stream modules) before
 * firecracker starts, for a lab id and a temp name; this is the same kernel source of randomness.
 * Falls back to node:crypto where /dev/urandom cannot be read (a sandbox without /dev).
 */
export function randomBytesSync(count: number): Buffer {
  const bytes = Buffer.alloc(count);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
    for (let filled = 0; filled < count; ) {
      const read = readSync(fd, bytes, filled, count - filled, null);
      if (read <= 0) throw new Error('/dev/urandom gave no bytes');
      filled += read;
    }
    return bytes;
  } catch {
    return process.getBuiltinModule('node:crypto').randomBytes(count);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A random (version 4, RFC 9562) UUID in its lowercase 8-4-4-4-12 form, as crypto.randomUUID gives. */
export function randomUuid(): string {
  const bytes = randomBytesSync(16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10xx
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
