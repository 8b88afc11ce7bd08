import path from 'node:path';
import { describeError } from '../errors.ts';
import { createNetdClient } from './client.ts';
import type { AddressPool } from './address-pool.ts';
import { renderRequestLog } from './connection.ts';
import { createConnectionGate } from './connection-gate.ts';
import { createDispatcher } from './dispatch.ts';
import { NetdError, NetdStartupError } from './errors.ts';
import { createLabNetwork } from './lab-network.ts';
import { byName } from './link-plan.ts';
import type { Links } from './links.ts';
import { summariseDevices } from './list-page.ts';
import { REQUEST_DEADLINE_MS } from './protocol.ts';
import type { NetdListener, NetdServeHost } from './serve-host.ts';

/** How to run the daemon. */
export interface NetdDaemonOptions {
  host: NetdServeHost;
  links: Links;
  /** Absolute path of the socket; its directory is the run directory. */
  socketPath: string;
  /** The group that may use the socket (must exist: setup creates it, the daemon does not). */
  group: string;
  /** Default: microvm-netd.pid next to the socket. */
  pidfile?: string;
  tapOwner: number | null;
  /** Where lab subnets come from: createAddressPool() of --pool, --prefix-len and --dns. */
  pool: AddressPool;
  /** A client that has not sent its whole request this long after connecting gets REQUEST_TIMEOUT (default REQUEST_DEADLINE_MS, 2 s). */
  requestTimeoutMs?: number;
  /** Connections served at once (default MAX_CONNECTIONS in protocol.ts); one more is answered TOO_MANY_CONNECTIONS. */
  maxConnections?: number;
  /** Connections served at once for one client uid (default MAX_PEER_CONNECTIONS). */
  maxPeerConnections?: number;
  /** Receives one line per event and per request (no timestamps: the caller adds them). */
  log: (line: string) => void;
  buildId?: string;
}

/** A running daemon. */
export interface RunningNetd {
  readonly socketPath: string;
  readonly pidfile: string;
  /** Stops accepting, answers SHUTTING_DOWN to requests still arriving, finishes the ones in flight, removes socket and pidfile. */
  stop(): Promise<void>;
  /** Connections open right now (reading or being handled). */
  readonly openConnections: number;
}

/** The socket: root:<group> 0660 (the doctor requires exactly this). */
export const SOCKET_MODE = 0o660;
/** The run directory, when the daemon creates it: root:<group> 0750. */
export const RUN_DIR_MODE = 0o750;
const PROBE_TIMEOUT_MS = 2000;

/** Starts the daemon: refuses when not root, the group is missing, or another daemon is live. */
export async function startNetdDaemon(options: NetdDaemonOptions): Promise<RunningNetd> {
  const { host, socketPath } = options;
  const pidfile = options.pidfile ?? path.join(path.dirname(socketPath), 'microvm-netd.pid');
  checkPaths(socketPath, pidfile);
  if (host.effectiveUid() !== 0) {
    throw startupError('NOT_ROOT', 'microvm-netd must run as root (it needs CAP_NET_ADMIN to create bridges and TAPs)', 'Start it with sudo, or through systemd.');
  }
  const group = await host.group(options.group);
  if (!group) {
    throw startupError('NETD_GROUP_MISSING', `group ${JSON.stringify(options.group)} does not exist; the socket must be root:${options.group} 0660`,
      `Create it first (setup does this): groupadd --system ${options.group}, then usermod -aG ${options.group} <user> for each user of the socket.`);
  }
  const runDir = path.dirname(socketPath);
  if (await host.makeDirectory(runDir, { mode: RUN_DIR_MODE, uid: 0, gid: group.gid })) options.log(`created the run directory (0750 root:${group.name})`);
  await refuseIfLive(options, socketPath);
  await probeLinks(options);
  await acquirePidfile(host, pidfile, options.log);
  let listener: NetdListener;
  const dispatch = createDispatcher({
    network: createLabNetwork({ links: options.links, tapOwner: options.tapOwner, pool: options.pool, log: options.log }),
    buildId: options.buildId,
    onInternalError: (error) => options.log(`internal error: ${describeError(error)}`),
  });
  const gate = createConnectionGate({
    dispatch,
    timeoutMs: options.requestTimeoutMs ?? REQUEST_DEADLINE_MS,
    maxConnections: options.maxConnections,
    maxPeerConnections: options.maxPeerConnections,
    log: (entry) => options.log(renderRequestLog(entry)),
  });
  const connections = gate.open;
  try {
    listener = await host.listen(socketPath, { mode: SOCKET_MODE, uid: 0, gid: group.gid }, (stream, peer) => void gate.accept(stream, peer));
  } catch (error) {
    await releasePidfile(host, pidfile);
    throw error;
  }
  options.log(`listening on ${socketPath} (root:${group.name} 0660, pid ${host.pid}, tap owner ${options.tapOwner ?? 'root'})`);
  options.log(`lab subnets: /${options.pool.labPrefixLen} from ${options.pool.cidr} (${options.pool.slots} labs), dns ${options.pool.dns}`);
  let stopping: Promise<void> | undefined;
  return {
    socketPath,
    pidfile,
    get openConnections() {
      return connections.size;
    },
    stop() {
      stopping ??= (async () => {
        options.log(`stopping: ${connections.size} connection(s) open`);
        await listener.close();
        for (const handle of connections) handle.refuseIfReading();
        await Promise.all([...connections].map((handle) => handle.done));
        await releasePidfile(host, pidfile);
        options.log('stopped');
      })();
      return stopping;
    },
  };
}

function startupError(code: string, summary: string, hint: string): NetdStartupError {
  return new NetdStartupError({ code, summary, hint, attempted: 'start microvm-netd' });
}

/** A unix socket path holds at most 107 bytes (sun_path is 108 with its NUL); bind cuts a longer one silently. */
export const SOCKET_PATH_MAX_BYTES = 107;

/** Returns why a socket path cannot be bound and reached, naming the limit and the fix (a shorter `setting`), or null when it can. */
export function socketPathProblem(socketPath: string, setting = '--socket'): string | null {
  const bytes = Buffer.byteLength(socketPath);
  if (bytes <= SOCKET_PATH_MAX_BYTES) return null;
  return `the socket path is ${bytes} bytes, over the ${SOCKET_PATH_MAX_BYTES} a unix socket path can hold (clients could not connect): set a shorter ${setting}, such as /run/octolab/microvm-netd.sock`;
}

function checkPaths(socketPath: string, pidfile: string): void {
  for (const [what, p] of [['socket', socketPath], ['pidfile', pidfile]] as const) {
    if (!path.isAbsolute(p) || p.split('/').includes('..')) {
      throw startupError('USAGE', `the ${what} path must be absolute and without "..": ${JSON.stringify(p)}`, 'Pass an absolute path such as /run/octolab/microvm-netd.sock.');
    }
  }
  const tooLong = socketPathProblem(socketPath);
  if (tooLong) throw startupError('USAGE', tooLong, 'Pass a shorter --socket.');
}

/** Refuses when something answers on the socket path or it is not a socket; a refused connect means stale. */
async function refuseIfLive(options: NetdDaemonOptions, socketPath: string): Promise<void> {
  const existing = await options.host.lstat(socketPath);
  if (!existing) return;
  if (existing.kind !== 'socket') {
    throw startupError('NETD_PATH_NOT_SOCKET', `${socketPath} exists and is not a socket (${existing.kind})`, 'Something else owns that path: move it away or choose another --socket.');
  }
  try {
    await createNetdClient({ sockets: options.host.sockets, socketPath, timeoutMs: PROBE_TIMEOUT_MS }).ping();
  } catch (error) {
    if (error instanceof NetdError && error.code === 'NETD_UNAVAILABLE' && (error.reason === 'ECONNREFUSED' || error.reason === 'ENOENT')) {
      options.log(`replacing stale socket ${socketPath} (nothing listening)`);
      return;
    }
    throw startupError('NETD_SOCKET_BUSY', `something holds ${socketPath} but does not answer ping as microvm-netd: ${(error as Error).message.split('\n')[0]}`,
      'Find the process (ss -xlp) and stop it, or choose another --socket.');
  }
  throw startupError('NETD_ALREADY_RUNNING', `microvm-netd is already running on ${socketPath}`, 'Use the running daemon, or stop it first (systemctl stop microvm-netd, or kill the pid in its pidfile).');
}

/** Lists the links once, so a missing ip binary or namespace stops startup instead of failing every request. */
async function probeLinks(options: NetdDaemonOptions): Promise<void> {
  try {
    const found = summariseDevices(byName(await options.links.listLabLinks()), options.pool);
    const unowned = found.unowned.length ? `, ${found.unowned.length} unowned obr/otp device(s): ${found.unowned.slice(0, 20).join(' ')}${found.unowned.length > 20 ? ' …' : ''}` : '';
    options.log(`found ${found.labs} lab(s) owning devices, ${found.withSubnet} with a subnet of the pool${unowned}`);
  } catch (error) {
    throw startupError('NETD_LINKS_UNUSABLE', `cannot list network links: ${describeError(error)}`, 'Check that iproute2 (ip) is installed and, with --netns, that the namespace exists (ip netns list).');
  }
}

/** Creates the pidfile exclusively; a pidfile of a dead (or non-netd) process is stale and replaced once. */
async function acquirePidfile(host: NetdServeHost, pidfile: string, log: (line: string) => void): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await host.createFileExclusive(pidfile, `${host.pid}\n`, 0o644)) return;
    const text = (await host.readText(pidfile)) ?? '';
    const pid = /^\s*(\d+)\s*$/.test(text) ? Number(text) : null;
    if (pid !== null && host.processAlive(pid) && (pid === host.pid || (await host.processCommand(pid))?.includes('netd'))) {
      throw startupError('NETD_ALREADY_RUNNING', `pidfile ${pidfile} names microvm-netd pid ${pid}, which is alive`, `Stop pid ${pid} first, or pass another --pidfile.`);
    }
    log(`replacing a stale pidfile (${pid === null ? 'unreadable' : `pid ${pid} is not a live microvm-netd`})`);
    await host.removeFile(pidfile);
  }
  throw startupError('NETD_ALREADY_RUNNING', `pidfile ${pidfile} keeps reappearing: another microvm-netd is starting`, 'Wait for it, or stop it.');
}

/** Removes the pidfile only while it still names this process. */
async function releasePidfile(host: NetdServeHost, pidfile: string): Promise<void> {
  const text = await host.readText(pidfile).catch(() => null);
  if (text !== null && text.trim() === String(host.pid)) await host.removeFile(pidfile);
}
