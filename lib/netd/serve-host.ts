import type { Duplex } from 'node:stream';
import type { FileInfo, GroupEntry, HostSockets } from '../host/types.ts';
import type { PeerIdentity } from './connection.ts';

/** Ownership and mode of something the daemon creates. */
export interface Ownership {
  mode: number;
  uid: number;
  gid: number;
}

/** A bound, listening socket. */
export interface NetdListener {
  /** Stops accepting and removes the socket file if it is still the one this listener bound. */
  close(): Promise<void>;
}

/**
 * What the daemon asks of the OS to start and stop: identity, the group database, its run
 * directory, pidfile and socket. lib/host/netd-serve-host.ts implements it; unit tests fake it.
 */
export interface NetdServeHost {
  readonly pid: number;
  effectiveUid(): number;
  group(name: string): Promise<GroupEntry | null>;
  /** lstat(2), or null when nothing is at the path. */
  lstat(path: string): Promise<FileInfo | null>;
  /** Creates the directory (not its parents) with this ownership; false when it already existed. */
  makeDirectory(path: string, ownership: Ownership): Promise<boolean>;
  /** Writes a complete file under a temporary name and links it into place; false when `path` exists. */
  createFileExclusive(path: string, content: string, mode: number): Promise<boolean>;
  /** Reads a small text file, or null when it does not exist. */
  readText(path: string): Promise<string | null>;
  /** Removes a file; a file already gone is not an error. */
  removeFile(path: string): Promise<void>;
  /** True when a process with this pid exists. */
  processAlive(pid: number): boolean;
  /** The command line of a process (NULs as spaces), or null when unknown. */
  processCommand(pid: number): Promise<string | null>;
  /** For probing a socket that is already there. */
  readonly sockets: HostSockets;
  /**
   * Binds `path` (replacing a stale socket atomically) with this ownership and starts accepting;
   * each connection comes with its peer's credentials (SO_PEERCRED), or null when unknown.
   */
  listen(path: string, ownership: Ownership, onConnection: (stream: Duplex, peer: PeerIdentity | null) => void): Promise<NetdListener>;
}
