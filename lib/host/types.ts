/**
 * The one door to the OS. Checks, the boot pipeline and the netd client receive a `Host`
 * (or one of its parts) as a parameter; `createRealHost()` implements it for this machine and
 * `FakeHost` in fixtures/ implements it in memory. Probes return their error (as a thrown
 * `HostError` carrying the errno); they never swallow it.
 */

import type { GuestProbeOptions, GuestProbeResult } from './kvm/guest-probe-result.ts';

export type { GuestProbeOptions, GuestProbeResult, GuestStageId, GuestVerdict } from './kvm/guest-probe-result.ts';

/** What kind of file a path names (after following symlinks, unless lstat). */
export type FileKind = 'file' | 'directory' | 'char-device' | 'block-device' | 'socket' | 'fifo' | 'symlink';

/** The facts of one stat(2) call that the checks need. */
export interface FileInfo {
  path: string;
  kind: FileKind;
  /** Permission bits only (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

/**
 * What readRegularFile found: the first bytes of a regular file, or the kind of thing that was
 * there instead (it was neither followed nor read).
 */
export type RegularFileRead =
  | { ok: true; data: Buffer; /** The file holds more than the bytes asked for. */ truncated: boolean }
  | { ok: false; kind: Exclude<FileKind, 'file'> };

/** Who a check should judge access for: the invoking user under sudo, else this process. */
export interface Identity {
  uid: number;
  gid: number;
  /** Supplementary group ids, including the primary gid. */
  groups: number[];
  name: string;
  /** True when the identity came from SUDO_UID/SUDO_GID rather than from this process. */
  viaSudo: boolean;
}

/** One entry of the group database. */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** File-system probes and the few writes the library makes. */
export interface HostFs {
  /** stat(2), following symlinks. Throws HostError (errno ENOENT, EACCES, …). */
  stat(path: string): Promise<FileInfo>;
  /** lstat(2). Throws HostError. */
  lstat(path: string): Promise<FileInfo>;
  /** Reads up to `length` bytes at `offset` (fewer at end of file). Throws HostError. */
  readBytes(path: string, offset: number, length: number): Promise<Buffer>;
  /** Reads a whole (small) text file. Throws HostError. */
  readText(path: string): Promise<string>;
  /**
   * Reads at most `maxBytes` from the start of a regular file in a directory someone else controls:
   * never follows a symlink, blocks on a FIFO or reads a device (lstat, then open O_NOFOLLOW |
   * O_NONBLOCK, then fstat of the open fd); those answer { ok: false, kind }. Throws HostError (ENOENT, EACCES, …).
   */
  readRegularFile(path: string, maxBytes: number): Promise<RegularFileRead>;
  /** True when the path exists (lstat succeeds); other errors than ENOENT throw. */
  exists(path: string): Promise<boolean>;
  /** Creates and removes `dir/name`, proving this process can write there. Throws HostError. */
  writeProbe(dir: string, name: string): Promise<void>;
}

/** The result of a finished (or timed-out) command. */
export interface RunResult {
  /** The command as it would be typed, for messages only; never executed as a string. */
  command: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Options for one command run. */
export interface RunOptions {
  timeoutMs: number;
  env?: Record<string, string>;
  input?: string;
}

/** Process probes: run a program with an argument array, look one up on PATH. */
export interface HostProcesses {
  /** Runs `file args…` (never through a shell). Spawn failures (ENOENT, EACCES) throw HostError. */
  run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult>;
  /** Returns the absolute path of an executable found on PATH, or null. A path with a slash is returned as is. */
  which(name: string): Promise<string | null>;
}

/** What KVM_GET_API_VERSION and KVM_CREATE_VM answered; `errno` when the ioctl failed. */
export interface KvmProbeResult {
  apiVersion: { ok: true; version: number } | { ok: false; errno: string };
  /** Not attempted when the API version could not be read. */
  createVm: { ok: true } | { ok: false; errno: string } | { ok: false; errno: null; skipped: string };
}

/** KVM ioctls, issued from Node. */
export interface HostKvm {
  /** Opens the device read-write (throws HostError with the errno when that fails) and issues the two ioctls. */
  probe(devicePath: string): Promise<KvmProbeResult>;
  /**
   * Builds and runs a tiny 64-bit guest in memory (long mode, page-table writes, cmpxchg16b on a
   * page-table page) and says which stage it reached and how it exited. Setup failures throw
   * HostError naming the ioctl and errno; every fd and mapping is released either way.
   */
  runGuestProbe(devicePath: string, options: GuestProbeOptions): Promise<GuestProbeResult>;
}

/** The user and group databases (NSS-aware on the real host). */
export interface HostUsers {
  /** The identity whose access the doctor judges (see Identity.viaSudo). */
  runtimeIdentity(): Promise<Identity>;
  /** This process's effective uid (0 = root). */
  effectiveUid(): number;
  group(name: string): Promise<GroupEntry | null>;
  groupById(gid: number): Promise<GroupEntry | null>;
  userName(uid: number): Promise<string | null>;
}

/** Options for one request/response exchange over a unix stream socket. */
export interface UnixRequestOptions {
  timeoutMs: number;
  /** Stop reading (and fail) once the answer exceeds this many bytes. */
  maxResponseBytes: number;
  /** Half-close the write side after sending (default true). */
  halfClose?: boolean;
  /** Abandons the exchange at once (the connection is destroyed); rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Unix-socket exchanges: connect, send one payload, read until the peer closes. */
export interface HostSockets {
  /** Throws HostError with errno (ENOENT, ECONNREFUSED, EACCES, ETIMEDOUT, EMSGSIZE). */
  unixRequest(socketPath: string, payload: Buffer, options: UnixRequestOptions): Promise<Buffer>;
}

/** Everything the library may ask of the OS, in parts that can be faked one by one. */
export interface Host {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fs: HostFs;
  readonly proc: HostProcesses;
  readonly kvm: HostKvm;
  readonly users: HostUsers;
  readonly sockets: HostSockets;
}
