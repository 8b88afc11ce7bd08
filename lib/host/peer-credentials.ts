import type { Socket } from 'node:net';
import koffi from 'koffi';
import type { PeerIdentity } from '../netd/connection.ts';

/**
 * Who is on the other end of an accepted unix socket: getsockopt(SO_PEERCRED), the pid, uid and
 * gid the kernel recorded when the peer connected (it cannot be forged by the peer). Node has no
 * API for it, so the call goes through koffi on the socket's file descriptor.
 */

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
/** struct ucred { pid_t pid; uid_t uid; gid_t gid; } */
const UCRED_SIZE = 12;

type GetSockOpt = (fd: number, level: number, name: number, value: Buffer, length: number[]) => number;
let getsockopt: GetSockOpt | null | undefined;

function bind(): GetSockOpt | null {
  if (getsockopt !== undefined) return getsockopt;
  try {
    const lib = koffi.load('libc.so.6');
    getsockopt = lib.func('int getsockopt(int fd, int level, int optname, _Out_ uint8_t *optval, _Inout_ uint32_t *optlen)') as GetSockOpt;
  } catch {
    getsockopt = null;
  }
  return getsockopt;
}

/** Returns the peer's credentials, or null when they cannot be read (no descriptor, not a unix socket, no libc). */
export function peerCredentials(socket: Socket): PeerIdentity | null {
  // libuv's pipe handle exposes its descriptor as `fd` (-1 once closed).
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  const call = typeof fd === 'number' && fd >= 0 ? bind() : null;
  if (!call) return null;
  const value = Buffer.alloc(UCRED_SIZE);
  const length = [UCRED_SIZE];
  if (call(fd as number, SOL_SOCKET, SO_PEERCRED, value, length) !== 0 || length[0] !== UCRED_SIZE) return null;
  return { pid: value.readInt32LE(0), uid: value.readUInt32LE(4), gid: value.readUInt32LE(8) };
}
