import { UsageError } from '../../errors.ts';
import { createIpLinks } from '../../host/ip-links.ts';
import { createNetdServeHost } from '../../host/netd-serve-host.ts';
import { createRealHost } from '../../host/real-host.ts';
import { startNetdDaemon } from '../../netd/daemon.ts';
import type { CliIo } from '../io.ts';
import { EXIT } from '../io.ts';
import { parseSeconds } from '../parse-args.ts';

/** What `netd serve` was asked to do, after parsing. */
export interface ServeSettings {
  socketPath: string;
  group: string;
  pidfile?: string;
  tapOwner: number | null;
  netns?: string;
  requestTimeoutMs?: number;
  maxConnections?: number;
}

const NETNS = /^[A-Za-z0-9._-]{1,64}$/;

/** Parses --tap-owner: a numeric uid (what `ip tuntap … user` and Firecracker's user need). */
export function parseTapOwner(value: string | undefined, usage: string): number | null {
  if (value === undefined) return null;
  const uid = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(uid) || uid > 4294967294) {
    throw new UsageError({ code: 'USAGE', summary: `--tap-owner must be a numeric uid, got ${JSON.stringify(value)}`, hint: `look it up with id -u <user>; ${usage}` });
  }
  return uid;
}

/** Parses --max-connections: how many connections the daemon serves at once (1 to 4096). */
export function parseMaxConnections(value: string | undefined, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const count = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(count >= 1 && count <= 4096)) {
    throw new UsageError({ code: 'USAGE', summary: `--max-connections must be a whole number from 1 to 4096, got ${JSON.stringify(value)}`, hint: usage });
  }
  return count;
}

/** Parses --netns: a name under /run/netns. */
export function parseNetns(value: string | undefined, usage: string): string | undefined {
  if (value !== undefined && !NETNS.test(value)) {
    throw new UsageError({ code: 'USAGE', summary: `--netns must be a network namespace name, got ${JSON.stringify(value)}`, hint: usage });
  }
  return value;
}

/** Parses --request-timeout (seconds) into milliseconds. */
export function parseRequestTimeout(value: string | undefined, usage: string): number | undefined {
  const seconds = parseSeconds(value, '--request-timeout', usage);
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
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
    requestTimeoutMs: settings.requestTimeoutMs,
    maxConnections: settings.maxConnections,
    log,
  });
  log(`ready${settings.netns ? ` (network namespace ${settings.netns})` : ''}`);
  const why = await untilAborted(io.signal);
  log(`${why}: shutting down`);
  await daemon.stop();
  return EXIT.ok;
}
