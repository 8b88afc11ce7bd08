import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { errnoOf } from '../errors.ts';
import type { NetdServeHost, Ownership } from '../netd/serve-host.ts';
import type { PeerIdentity } from '../netd/connection.ts';
import { hostErrorFrom } from './host-error.ts';
import { peerCredentials } from './peer-credentials.ts';
import { toFileInfo } from './real-fs.ts';
import type { HostSockets, HostUsers } from './types.ts';

/** Returns the real daemon host: node:fs, node:net and the process table of this machine. */
export function createNetdServeHost(deps: { users: HostUsers; sockets: HostSockets }): NetdServeHost {
  return {
    pid: process.pid,
    effectiveUid: () => deps.users.effectiveUid(),
    group: (name) => deps.users.group(name),
    sockets: deps.sockets,
    async lstat(p) {
      try {
        return toFileInfo(p, await fs.lstat(p));
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return null;
        throw hostErrorFrom(error, `lstat ${p}`);
      }
    },
    async makeDirectory(p, ownership) {
      try {
        await fs.mkdir(p, { mode: 0o700 });
      } catch (error) {
        if (errnoOf(error) === 'EEXIST') return false;
        throw hostErrorFrom(error, `create directory ${p}`);
      }
      // Created private, then handed over: never visible with wider rights than asked.
      await applyOwnership(p, ownership);
      return true;
    },
    async createFileExclusive(p, content, mode) {
      const temp = `${p}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await fs.writeFile(temp, content, { mode, flag: 'wx' });
        // link(2) fails with EEXIST instead of replacing: the file appears complete, or not at all.
        await fs.link(temp, p);
        return true;
      } catch (error) {
        if (errnoOf(error) === 'EEXIST') return false;
        throw hostErrorFrom(error, `create ${p}`);
      } finally {
        await fs.rm(temp, { force: true });
      }
    },
    async readText(p) {
      try {
        return await fs.readFile(p, 'utf8');
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return null;
        throw hostErrorFrom(error, `read ${p}`);
      }
    },
    async removeFile(p) {
      try {
        await fs.unlink(p);
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw hostErrorFrom(error, `remove ${p}`);
      }
    },
    processAlive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        return errnoOf(error) === 'EPERM';
      }
    },
    async processCommand(pid) {
      try {
        return (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ').trim();
      } catch {
        return null;
      }
    },
    listen: listenUnix,
  };
}

async function applyOwnership(p: string, ownership: Ownership): Promise<void> {
  try {
    await fs.chown(p, ownership.uid, ownership.gid);
    await fs.chmod(p, ownership.mode);
  } catch (error) {
    throw hostErrorFrom(error, `set owner ${ownership.uid}:${ownership.gid} mode ${ownership.mode.toString(8)} on ${p}`);
  }
}

/** sun_path holds 108 bytes with the terminating NUL: a longer path is silently cut by the kernel's bind. */
export const UNIX_PATH_MAX_BYTES = 107;
/** listen(2) backlog (the kernel caps it at net.core.somaxconn). */
const LISTEN_BACKLOG = 511;

/** A temporary name next to `socketPath` that fits sun_path too (shorter random part when the directory is deep). */
function tempSocketPath(socketPath: string): string {
  const dir = path.dirname(socketPath);
  const room = UNIX_PATH_MAX_BYTES - Buffer.byteLength(dir) - 2; // the slash and the leading dot
  if (room < 4) throw hostErrorFrom(Object.assign(new Error(`socket path ${socketPath} leaves no room for a temporary name within ${UNIX_PATH_MAX_BYTES} bytes`), { code: 'ENAMETOOLONG' }), `listen on ${socketPath}`);
  return path.join(dir, `.${randomBytes(8).toString('hex').slice(0, Math.min(16, room))}`);
}

/**
 * Binds under a temporary name, sets owner and mode, then renames onto `socketPath`: the socket
 * is never reachable at its real path with the wrong rights, and a stale socket is replaced atomically.
 */
async function listenUnix(socketPath: string, ownership: Ownership, onConnection: (stream: net.Socket, peer: PeerIdentity | null) => void) {
  const temp = tempSocketPath(socketPath);
  // allowHalfOpen: a client that half-closes after its request must still get the reply.
  // The peer's credentials are read at once, while the descriptor is certainly open.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => onConnection(socket, peerCredentials(socket)));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // A deep backlog: a burst of clients waits in the kernel's queue instead of being refused (upstream listens with 5).
      server.listen({ path: temp, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await applyOwnership(temp, ownership);
    await fs.rename(temp, socketPath);
  } catch (error) {
    server.close();
    await fs.rm(temp, { force: true });
    throw error instanceof Error && 'attempted' in error ? error : hostErrorFrom(error, `listen on ${socketPath}`);
  }
  const bound = await fs.lstat(socketPath);
  server.on('error', () => undefined);
  return {
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // close() waits for open connections; the daemon ends those itself, so do not wait here.
        setImmediate(resolve);
      });
      const now = await fs.lstat(socketPath).catch(() => null);
      if (now && now.ino === bound.ino && now.dev === bound.dev) await fs.rm(socketPath, { force: true });
    },
  };
}
