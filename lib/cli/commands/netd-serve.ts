import { ConfigError, UsageError } from '../../errors.ts';
import { createIpLinks } from '../../host/ip-links.ts';
import { createNetdServeHost } from '../../host/netd-serve-host.ts';
import { createRealHost } from '../../host/real-host.ts';
import { AddressPoolError, createAddressPool, MAX_LAB_PREFIX_LEN, MIN_PREFIX_LEN, type AddressPool } from '../../netd/address-pool.ts';
import { socketPathProblem, startNetdDaemon } from '../../netd/daemon.ts';
import type { CliIo } from '../io.ts';
import { EXIT } from '../io.ts';
import { parseSeconds } from '../parse-args.ts';
import { loadSettings } from '../settings.ts';

/** What `netd serve` was asked to do, after parsing. */
export interface ServeSettings {
  socketPath: string;
  group: string;
  pidfile?: string;
  tapOwner: number | null;
  netns?: string;
  requestTimeoutMs?: number;
  maxConnections?: number;
  maxPeerConnections?: number;
  pool: AddressPool;
}

/** The options `netd serve` reads (strings as parseArgs gives them). */
export interface ServeOptionValues {
  socket?: string;
  group?: string;
  pidfile?: string;
  'tap-owner'?: string;
  netns?: string;
  'request-timeout'?: string;
  'max-connections'?: string;
  'max-peer-connections'?: string;
  pool?: string;
  'prefix-len'?: string;
  dns?: string;
}

/** The options only `netd serve` takes (the client subcommands refuse them); --socket is shared. */
export const SERVE_ONLY_OPTIONS = ['group', 'tap-owner', 'pidfile', 'netns', 'request-timeout', 'max-connections', 'max-peer-connections', 'pool', 'prefix-len', 'dns'] as const;

const NETNS = /^[A-Za-z0-9._-]{1,64}$/;

/** Parses --tap-owner: a numeric uid (what `ip tuntap … user` and Firecracker's user need). */
export function parseTapOwner(value: string | undefined, hint: string): number | null {
  if (value === undefined) return null;
  const uid = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(uid) || uid > 4294967294) {
    throw new UsageError({ code: 'USAGE', summary: `--tap-owner must be a numeric uid, got ${JSON.stringify(value)}`, hint: `look it up with id -u <user>; ${hint}` });
  }
  return uid;
}

/** Parses a connection count option (--max-connections, --max-peer-connections): 1 to 4096. */
export function parseMaxConnections(value: string | undefined, hint: string, option = '--max-connections'): number | undefined {
  if (value === undefined) return undefined;
  const count = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(count >= 1 && count <= 4096)) {
    throw new UsageError({ code: 'USAGE', summary: `${option} must be a whole number from 1 to 4096, got ${JSON.stringify(value)}`, hint });
  }
  return count;
}

/** Parses --netns: a name under /run/netns. */
export function parseNetns(value: string | undefined, hint: string): string | undefined {
  if (value !== undefined && !NETNS.test(value)) {
    throw new UsageError({ code: 'USAGE', summary: `--netns must be a network namespace name, got ${JSON.stringify(value)}`, hint });
  }
  return value;
}

/** Parses --request-timeout (seconds) into milliseconds. */
export function parseRequestTimeout(value: string | undefined, hint: string): number | undefined {
  const seconds = parseSeconds(value, '--request-timeout', hint);
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
}

/**
 * Builds the pool from --pool/--prefix-len/--dns, each falling back to its OCTOLAB_NETD_* value
 * (already checked by loadConfig) or default. A bad option, or a combination that cannot work,
 * is one line naming the value and the fix: a usage error when an option was involved, a
 * configuration error when only variables were.
 */
function resolvePool(values: ServeOptionValues, config: { netdPool: string; netdPrefixLen: number; netdDns: string }, hint: string): AddressPool {
  const given = values.pool !== undefined || values['prefix-len'] !== undefined || values.dns !== undefined;
  let labPrefixLen = config.netdPrefixLen;
  if (values['prefix-len'] !== undefined) {
    labPrefixLen = /^\d{1,2}$/.test(values['prefix-len']) ? Number(values['prefix-len']) : Number.NaN;
    if (!(labPrefixLen >= MIN_PREFIX_LEN && labPrefixLen <= MAX_LAB_PREFIX_LEN)) {
      throw new UsageError({ code: 'USAGE', summary: `--prefix-len must be a whole number from ${MIN_PREFIX_LEN} to ${MAX_LAB_PREFIX_LEN} (24: one /24 per lab), got ${JSON.stringify(values['prefix-len'])}`, hint });
    }
  }
  try {
    return createAddressPool({ pool: values.pool ?? config.netdPool, labPrefixLen, dns: values.dns ?? config.netdDns });
  } catch (error) {
    if (!(error instanceof AddressPoolError)) throw error;
    const summary = `${error.message} (set by --pool/--prefix-len/--dns, or OCTOLAB_NETD_POOL/OCTOLAB_NETD_PREFIX_LEN/OCTOLAB_NETD_DNS)`;
    throw given ? new UsageError({ code: 'USAGE', summary, hint }) : new ConfigError({ code: 'CONFIG_INVALID', summary });
  }
}

/**
 * Parses every `netd serve` option, reading OCTOLAB_* defaults (socket, group, pool, prefix length,
 * dns) from the config; `hint` (where the help is) ends every usage error.
 */
export async function resolveServeSettings(io: CliIo, values: ServeOptionValues, hint: string): Promise<ServeSettings> {
  const host = createRealHost(io.env);
  const { config } = await loadSettings(io, 'netd', host, undefined);
  const socketPath = values.socket ?? config.netdSocket;
  const tooLong = socketPathProblem(socketPath, values.socket !== undefined ? '--socket' : 'OCTOLAB_MICROVM_NETD_SOCK (or pass --socket)');
  if (tooLong) throw values.socket !== undefined ? new UsageError({ code: 'USAGE', summary: tooLong, hint }) : new ConfigError({ code: 'CONFIG_INVALID', summary: tooLong });
  return {
    socketPath,
    group: values.group ?? config.netdGroup,
    pidfile: values.pidfile,
    tapOwner: parseTapOwner(values['tap-owner'], hint),
    netns: parseNetns(values.netns, hint),
    requestTimeoutMs: parseRequestTimeout(values['request-timeout'], hint),
    maxConnections: parseMaxConnections(values['max-connections'], hint),
    maxPeerConnections: parseMaxConnections(values['max-peer-connections'], hint, '--max-peer-connections'),
    pool: resolvePool(values, config, hint),
  };
}

/** Waits until the signal aborts (SIGTERM/SIGINT from bin/); without a signal, waits forever. */
function untilAborted(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve(String((signal.reason as Error)?.message ?? 'aborted'));
    signal.addEventListener('abort', () => resolve(String((signal.reason as Error)?.message ?? 'aborted')), { once: true });
  });
}

/** Runs the daemon in the foreground until io.signal aborts; then stops cleanly and returns 0. */
export async function serveNetd(io: CliIo, settings: ServeSettings): Promise<number> {
  const host = createRealHost(io.env);
  const log = (line: string) => io.stderr.write(`${new Date().toISOString()} [netd] ${line}\n`);
  const daemon = await startNetdDaemon({
    host: createNetdServeHost({ users: host.users, sockets: host.sockets }),
    links: createIpLinks({ proc: host.proc, netns: settings.netns }),
    socketPath: settings.socketPath,
    group: settings.group,
    pidfile: settings.pidfile,
    tapOwner: settings.tapOwner,
    pool: settings.pool,
    requestTimeoutMs: settings.requestTimeoutMs,
    maxConnections: settings.maxConnections,
    maxPeerConnections: settings.maxPeerConnections,
    log,
  });
  log(`ready${settings.netns ? ` (network namespace ${settings.netns})` : ''}`);
  const why = await untilAborted(io.signal);
  log(`${why}: shutting down`);
  await daemon.stop();
  return EXIT.ok;
}
