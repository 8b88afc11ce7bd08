/**
 * Holds a TAP open as Firecracker does (TUNSETIFF on /dev/net/tun), for host tests of what the
 * daemon does with a TAP in use. Run it inside the TAP's namespace:
 *
 *   ip netns exec NS node suites/host/netd/tap-holder.mjs NAME   (its build, from dist/)
 *
 * It prints `attached NAME` once it holds the TAP, and closes it and exits 0 on SIGTERM/SIGINT.
 * It exits 1 with the errno when the kernel refuses (EBUSY: someone else holds it).
 */
import { O_CLOEXEC, O_RDWR, errnoName, loadLibc } from '../../../lib/host/libc.ts';

const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
/** struct ifreq: a 16-byte name, then a union whose first member is the short flags (40 bytes in all). */
const IFREQ_SIZE = 40;

const name = process.argv[2] ?? '';
if (!/^[A-Za-z0-9._-]{1,15}$/.test(name)) {
  console.error(`tap-holder: usage: tap-holder.ts NAME (got ${JSON.stringify(name)})`);
  process.exit(64);
}
const libc = loadLibc();
const fd = libc.open('/dev/net/tun', O_RDWR | O_CLOEXEC);
if (fd < 0) {
  console.error(`tap-holder: open /dev/net/tun: ${errnoName(libc.errno())}`);
  process.exit(1);
}
const ifreq = Buffer.alloc(IFREQ_SIZE);
ifreq.write(name, 0, 'ascii');
ifreq.writeUInt16LE(IFF_TAP | IFF_NO_PI, 16);
if (libc.ioctlBuffer(fd, TUNSETIFF, ifreq) < 0) {
  console.error(`tap-holder: TUNSETIFF ${name}: ${errnoName(libc.errno())}`);
  process.exit(1);
}
console.log(`attached ${name}`);
const keepAlive = setInterval(() => undefined, 1 << 30);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    clearInterval(keepAlive);
    libc.close(fd);
    process.exit(0);
  });
}
