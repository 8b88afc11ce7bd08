import { HostError } from '../errors.ts';
import { LinkQueryError, classifyLinkError, type Ipv4Interface, type LinkBatchResult, type LinkOp, type LinkState, type Links } from '../netd/links.ts';
import { isLabLinkName } from '../netd/names.ts';
import type { HostProcesses } from './types.ts';

/** Options of the iproute2-backed links. */
export interface IpLinksOptions {
  proc: HostProcesses;
  /** Run every command inside this named network namespace (`ip -n NAME …`). */
  netns?: string;
  /** The ip binary (default `ip`, found on PATH). */
  ipBinary?: string;
  /** One process per batch (default), or one per step: the baseline the benchmark compares against. */
  batch?: boolean;
  /** Timeout of one `ip` process; a batch gets this plus 1 s per step. Default 5 s, as upstream. */
  timeoutMs?: number;
}

const SAFE_TOKEN = /^[A-Za-z0-9._:=-]{1,128}$/;
const IFNAME = /^[A-Za-z0-9._-]{1,15}$/;
/** An IPv4 address with its prefix length, digits and dots only: `10.208.5.1/24`. */
const IPV4_CIDR = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(?:3[0-2]|[12]?\d)$/;
const MESSAGE_LIMIT = 300;

/** Returns the ip arguments of one step (tokens are validated: nothing here is ever a shell string). */
export function ipArgsFor(op: LinkOp): string[] {
  if (!IFNAME.test(op.name)) throw new RangeError(`refusing link name ${JSON.stringify(op.name)}`);
  switch (op.op) {
    case 'add-bridge':
      return ['link', 'add', op.name, 'type', 'bridge'];
    case 'add-tap':
      return ['tuntap', 'add', 'dev', op.name, 'mode', 'tap', ...(op.owner === null ? [] : ['user', String(op.owner)])];
    case 'set-alias':
      if (!SAFE_TOKEN.test(op.alias)) throw new RangeError(`refusing alias ${JSON.stringify(op.alias)}`);
      return ['link', 'set', 'dev', op.name, 'alias', op.alias];
    case 'set-master':
      if (!IFNAME.test(op.master)) throw new RangeError(`refusing master ${JSON.stringify(op.master)}`);
      return ['link', 'set', 'dev', op.name, 'master', op.master];
    case 'set-up':
      return ['link', 'set', 'dev', op.name, 'up'];
    case 'add-address':
    case 'del-address':
      if (!IPV4_CIDR.test(op.address)) throw new RangeError(`refusing address ${JSON.stringify(op.address)}`);
      return ['address', op.op === 'add-address' ? 'add' : 'del', op.address, 'dev', op.name];
    case 'delete':
      return ['link', 'del', 'dev', op.name];
    case 'delete-tap':
      // TUNSETIFF without IFF_TUN_EXCL: EBUSY while a process holds the TAP, up or down; a missing
      // name succeeds (ip creates a TAP and destroys it at once), so the caller checks existence.
      return ['tuntap', 'del', 'dev', op.name, 'mode', 'tap'];
    default:
      throw new RangeError(`unknown link step ${JSON.stringify(op)}`);
  }
}

/** Keeps the tool's own words, without ip's "Command failed -:N" trailer, short enough for a reply. */
function toolMessage(stderr: string): string {
  const text = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^Command failed -:\d+$/.test(line))
    .join('; ');
  return text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT - 3)}...` : text || '(no message)';
}

/** Reads the IPv4 entries of `addr_info` (`ip -j addr`); anything malformed is skipped. */
function ipv4Of(entry: Record<string, unknown>): Ipv4Interface[] {
  const info = Array.isArray(entry.addr_info) ? entry.addr_info : [];
  return info
    .filter((a): a is Record<string, unknown> => !!a && typeof a === 'object' && a.family === 'inet' && typeof a.local === 'string' && typeof a.prefixlen === 'number')
    .map((a) => ({ address: a.local as string, prefixLen: a.prefixlen as number }));
}

/** Reads one `ip -j -d addr` entry into a LinkState; `owners` resolves user names ip printed instead of uids. */
function toLinkState(entry: Record<string, unknown>, owners: Map<string, number | null>): LinkState {
  const info = (entry.linkinfo ?? {}) as Record<string, unknown>;
  const data = (info.info_data ?? {}) as Record<string, unknown>;
  const rawKind = typeof info.info_kind === 'string' ? info.info_kind : 'device';
  const kind = rawKind === 'tun' ? (data.type === 'tap' ? 'tap' : 'tun') : rawKind;
  const user = data.user;
  const owner = typeof user === 'number' ? user : typeof user === 'string' ? (owners.get(user) ?? null) : null;
  const flags = Array.isArray(entry.flags) ? entry.flags : [];
  const up = flags.includes('UP');
  // ip prints LOWER_UP or NO-CARRIER only for an up device; a down one shows neither.
  const carrier = !up ? null : flags.includes('LOWER_UP') ? true : flags.includes('NO-CARRIER') ? false : null;
  return {
    name: String(entry.ifname),
    kind,
    alias: typeof entry.ifalias === 'string' ? entry.ifalias : null,
    master: typeof entry.master === 'string' ? entry.master : null,
    up,
    operState: typeof entry.operstate === 'string' ? entry.operstate.toLowerCase() : 'unknown',
    owner,
    carrier,
    addresses: ipv4Of(entry),
  };
}

/** The real links: iproute2 with argument arrays, a request's steps in one `ip -batch -` process. */
export function createIpLinks(options: IpLinksOptions): Links {
  const ip = options.ipBinary ?? 'ip';
  const prefix = options.netns ? ['-n', options.netns] : [];
  const timeoutMs = options.timeoutMs ?? 5000;
  // ip prints a TAP's owner by name when the passwd database knows it; map names back to uids.
  const owners = new Map<string, number | null>();

  async function resolveOwner(name: string): Promise<void> {
    if (owners.has(name) || !SAFE_TOKEN.test(name)) return;
    const result = await options.proc.run('getent', ['passwd', name], { timeoutMs });
    const uid = result.exitCode === 0 ? Number(result.stdout.split(':')[2]) : Number.NaN;
    owners.set(name, Number.isInteger(uid) ? uid : null);
  }

  async function runIp(args: string[], input?: string) {
    try {
      return await options.proc.run(ip, [...prefix, ...args], { timeoutMs: timeoutMs + (input ? input.split('\n').length * 1000 : 0), input });
    } catch (error) {
      const errno = error instanceof HostError ? error.errno : undefined;
      return { exitCode: -1, stdout: '', stderr: `cannot run ${ip}: ${errno ?? (error as Error).message}`, timedOut: false, signal: null, command: ip };
    }
  }

  async function applyBatch(ops: readonly LinkOp[]): Promise<LinkBatchResult> {
    const script = `${ops.map((op) => ipArgsFor(op).join(' ')).join('\n')}\n`;
    const result = await runIp(['-batch', '-'], script);
    if (result.exitCode === 0 && !result.timedOut) return { ok: true };
    if (result.timedOut) return { ok: false, failure: { index: null, errno: 'ETIMEDOUT', message: `${ip} -batch timed out` } };
    if (result.exitCode === -1) return { ok: false, failure: { index: 0, errno: 'OTHER', message: result.stderr } };
    const line = /Command failed -:(\d+)/.exec(result.stderr)?.[1];
    const message = toolMessage(result.stderr);
    return { ok: false, failure: { index: line === undefined ? null : Number(line) - 1, errno: classifyLinkError(message), message } };
  }

  async function applyOneByOne(ops: readonly LinkOp[]): Promise<LinkBatchResult> {
    for (const [index, op] of ops.entries()) {
      const result = await runIp(ipArgsFor(op));
      if (result.exitCode === 0 && !result.timedOut) continue;
      const message = result.timedOut ? `${ip} timed out` : toolMessage(result.stderr);
      return { ok: false, failure: { index, errno: result.timedOut ? 'ETIMEDOUT' : classifyLinkError(message), message } };
    }
    return { ok: true };
  }

  return {
    async listLabLinks() {
      // `addr show` prints what `link show` does plus each device's addresses: one process for both.
      const result = await runIp(['-j', '-d', 'address', 'show']);
      if (result.exitCode !== 0 || result.timedOut) {
        const message = result.timedOut ? `${ip} address show timed out` : toolMessage(result.stderr);
        throw new LinkQueryError(message, result.timedOut ? 'ETIMEDOUT' : classifyLinkError(message));
      }
      let entries: unknown;
      try {
        entries = JSON.parse(result.stdout);
      } catch {
        throw new LinkQueryError(`${ip} -j address show printed something that is not JSON`, 'OTHER');
      }
      if (!Array.isArray(entries)) throw new LinkQueryError(`${ip} -j address show did not print a JSON array`, 'OTHER');
      const ours = entries.filter(
        (entry): entry is Record<string, unknown> => !!entry && typeof entry === 'object' && typeof entry.ifname === 'string' && isLabLinkName(entry.ifname),
      );
      for (const entry of ours) {
        const user = ((entry.linkinfo as Record<string, unknown> | undefined)?.info_data as Record<string, unknown> | undefined)?.user;
        if (typeof user === 'string') await resolveOwner(user);
      }
      return ours.map((entry) => toLinkState(entry, owners));
    },
    apply(ops) {
      if (ops.length === 0) return Promise.resolve({ ok: true });
      return options.batch === false ? applyOneByOne(ops) : applyBatch(ops);
    },
  };
}
