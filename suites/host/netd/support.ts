import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { expect, type TestContext } from 'vitest';
import { requireRoot, requireTools } from '../../support/require.ts';
import { createIpLinks } from '../../../lib/host/ip-links.ts';
import { createNetdServeHost } from '../../../lib/host/netd-serve-host.ts';
import { createRealHost } from '../../../lib/host/real-host.ts';
import { createAddressPool, DEFAULT_POOL_SETTINGS, type AddressPool } from '../../../lib/netd/address-pool.ts';
import { UpstreamNetdClient } from '../../../fixtures/upstream-netd-client.ts';
import { createNetdClient, type NetdClient } from '../../../lib/netd/client.ts';
import { startNetdDaemon, type RunningNetd } from '../../../lib/netd/daemon.ts';
import { isLabLinkName } from '../../../lib/netd/names.ts';

/** The host-test helpers for netd: throwaway namespaces, real link reads, in-process and spawned daemons. */

/** Returns a fresh namespace name of this suite's family (ovt-<hex>). */
export function netnsName(): string {
  return `ovt-${randomBytes(4).toString('hex')}`;
}

/** Creates a network namespace and returns its name. */
export async function createNetns(): Promise<string> {
  const name = netnsName();
  await execa('ip', ['netns', 'add', name]);
  return name;
}

/** Deletes a namespace this suite created (its links go with it); absent is fine. */
export async function deleteNetns(name: string): Promise<void> {
  await execa('ip', ['netns', 'delete', name], { reject: false });
}

/** True when `ip netns list` still shows the namespace. */
export async function netnsExists(name: string): Promise<boolean> {
  const { stdout } = await execa('ip', ['netns', 'list']);
  return stdout.split('\n').some((line) => line.split(' ')[0] === name);
}

/** One device as `ip -j -d link show` prints it. */
export type IpLink = {
  ifname: string;
  flags: string[];
  master?: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: { type?: string; user?: string | number } };
  addr_info?: { family: string; local: string; prefixlen: number }[];
};

/** Reads every device of a namespace (or the root namespace when null), with its addresses, with `ip -j -d address show`. */
export async function readLinks(netns: string | null): Promise<IpLink[]> {
  const { stdout } = await execa('ip', [...(netns ? ['-n', netns] : []), '-j', '-d', 'address', 'show']);
  return JSON.parse(stdout) as IpLink[];
}

/** The IPv4 addresses (`a.b.c.d/len`) on a device as `ip` shows it. */
export function ipv4Of(link: IpLink | undefined): string[] {
  return (link?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

/** Names of the obr/otp devices in a namespace (root when null). */
export async function labLinksIn(netns: string | null): Promise<string[]> {
  return (await readLinks(netns)).map((link) => link.ifname).filter(isLabLinkName).sort();
}

/** A daemon started in this process on the real host, inside `netns`. */
export interface InProcessDaemon {
  daemon: RunningNetd;
  client: NetdClient;
  log: string[];
}

/** Starts the real daemon (real socket, iproute2 in `netns`) in this process. */
export async function startDaemon(options: {
  netns: string;
  socketPath: string;
  group?: string;
  tapOwner?: number | null;
  requestTimeoutMs?: number;
  batch?: boolean;
  pool?: AddressPool;
  maxConnections?: number;
  maxPeerConnections?: number;
}): Promise<InProcessDaemon> {
  const host = createRealHost();
  const log: string[] = [];
  const daemon = await startNetdDaemon({
    host: createNetdServeHost({ users: host.users, sockets: host.sockets }),
    links: createIpLinks({ proc: host.proc, netns: options.netns, batch: options.batch }),
    socketPath: options.socketPath,
    group: options.group ?? 'root',
    tapOwner: options.tapOwner ?? null,
    pool: options.pool ?? createAddressPool(DEFAULT_POOL_SETTINGS),
    requestTimeoutMs: options.requestTimeoutMs,
    maxConnections: options.maxConnections,
    maxPeerConnections: options.maxPeerConnections,
    log: (line) => log.push(line),
  });
  return { daemon, log, client: createNetdClient({ sockets: host.sockets, socketPath: options.socketPath, timeoutMs: 30_000 }) };
}

/** One device of a `list` reply, and a whole listing read page by page. */
export type ListedDevice = { name: string; type: 'bridge' | 'tap'; owned?: false };
export interface Listing {
  devices: ListedDevice[];
  /** `count` of each page, and the byte size of each reply as upstream's client read it. */
  counts: number[];
  replyBytes: number[];
}

/** Reads `list` from offset 0, following next_offset, with upstream's client (fixtures/upstream-netd-client.ts). */
export async function listAll(socketPath: string): Promise<Listing> {
  const client = new UpstreamNetdClient({ socketPath, timeoutMs: 30_000 });
  const listing: Listing = { devices: [], counts: [], replyBytes: [] };
  let offset: number | null = 0;
  while (offset !== null) {
    const page = (await client.call('list', offset === 0 ? {} : { offset })) as { interfaces: ListedDevice[]; count: number; truncated: boolean; next_offset?: number };
    listing.devices.push(...page.interfaces);
    listing.counts.push(page.count);
    listing.replyBytes.push(client.lastResponse!.length);
    offset = page.truncated ? page.next_offset! : null;
  }
  return listing;
}

/** Returns a client of the socket with a generous timeout (the machine is shared). */
export function clientOf(socketPath: string, timeoutMs = 30_000): NetdClient {
  return createNetdClient({ sockets: createRealHost().sockets, socketPath, timeoutMs });
}

/** Returns the lab id number `i` of a test run (distinct first 10 hex digits for i < 2^32). */
export function labIdFor(i: number, salt = 0): string {
  return `${(i + salt * 0x10000).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
}

/** Polls `check` until it is true or `timeoutMs` passes; returns whether it became true. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** A process holding a TAP open, as Firecracker does; close() ends it (idempotent). */
export interface HeldTap {
  pid: number;
  close(): Promise<void>;
}

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Starts tap-holder.ts inside `netns` on the TAP `name` and waits until it holds it; throws with its stderr when it cannot. */
export async function holdTap(netns: string, name: string): Promise<HeldTap> {
  const child = execa('ip', ['netns', 'exec', netns, process.execPath, 'suites/host/netd/tap-holder.mjs', name], { cwd: REPO, reject: false, buffer: { stdout: false } });
  const attached = await new Promise<boolean>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(`attached ${name}`)) resolve(true);
    });
    void child.then(() => resolve(false));
  });
  if (!attached) throw new Error(`tap-holder could not hold ${name} in ${netns}: ${(await child).stderr}`);
  return {
    pid: child.pid!,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await child;
    },
  };
}

/**
 * One test's world: a throwaway namespace and temp directory, plus whatever the test registers to
 * stop (daemons, held TAPs, child processes). `finish()` (in afterEach) undoes it newest first, then
 * proves the namespace is gone and the host's own lab links are exactly as before.
 */
export class NamespaceRig {
  private netns: string | null = null;
  private tmp: DirectoryResult | null = null;
  private rootLinks: string[] = [];
  private readonly undo: Array<() => Promise<void>> = [];

  /** Skips (with the reason) without root or ip; else creates the namespace and the temp directory. */
  async open(ctx: TestContext): Promise<{ netns: string; dir: string }> {
    requireRoot(ctx);
    requireTools(ctx, 'net', ['ip']);
    this.rootLinks = await labLinksIn(null);
    this.netns = await createNetns();
    this.tmp = await dir({ unsafeCleanup: true });
    return { netns: this.netns, dir: this.tmp.path };
  }

  /** Registers a cleanup that runs before the namespace is deleted. */
  onFinish(step: () => Promise<void>): void {
    this.undo.push(step);
  }

  /** Undoes everything this test created and checks nothing is left. */
  async finish(): Promise<void> {
    for (const step of this.undo.splice(0).reverse()) await step();
    if (this.netns) {
      const netns = this.netns;
      this.netns = null;
      await deleteNetns(netns);
      expect(await netnsExists(netns)).toBe(false);
    }
    await this.tmp?.cleanup();
    this.tmp = null;
    expect(await labLinksIn(null)).toEqual(this.rootLinks);
  }
}

/** How a daemon child process came out of its start: answering ping, or exited (with its output). */
export type DaemonStart = { outcome: 'up' } | { outcome: 'exited'; exitCode: number | undefined; output: string };

/**
 * Registers `child` with the rig (killed at the end if still running) and waits until the daemon
 * answers ping on `socketPath` or exits, whichever comes first; throws with its output when it
 * does neither within 30 s.
 */
export async function awaitDaemonStart(rig: NamespaceRig, child: ResultPromise, socketPath: string): Promise<DaemonStart> {
  rig.onFinish(async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGKILL');
    await child.catch(() => undefined);
  });
  let exited = false;
  void child.finally(() => (exited = true));
  const settled = await waitFor(async () => exited || (await clientOf(socketPath, 1000).ping()).status === 'ok', 30_000);
  if (exited) {
    const result = await child;
    return { outcome: 'exited', exitCode: result.exitCode, output: String(result.all) };
  }
  if (!settled) {
    child.kill('SIGKILL');
    throw new Error(`the daemon neither answered nor exited within 30 s:\n${(await child).all}`);
  }
  return { outcome: 'up' };
}
