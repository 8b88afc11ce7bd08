import { describe, expect, it } from 'vitest';
import { FakeLinks } from '../../../fixtures/fake-links.ts';
import { FakeNetdServeHost } from '../../../fixtures/fake-netd-serve-host.ts';
import { createAddressPool, DEFAULT_POOL_SETTINGS } from '../../../lib/netd/address-pool.ts';
import { createNetdClient } from '../../../lib/netd/client.ts';
import { startNetdDaemon, type NetdDaemonOptions } from '../../../lib/netd/daemon.ts';
import { NetdStartupError } from '../../../lib/netd/errors.ts';
import { LABS, readAll } from './support.ts';

const SOCKET = '/run/octolab/microvm-netd.sock';
const PIDFILE = '/run/octolab/microvm-netd.pid';

function options(host: FakeNetdServeHost, extra: Partial<NetdDaemonOptions> = {}) {
  const log: string[] = [];
  const links = new FakeLinks();
  const all: NetdDaemonOptions = { host, links, socketPath: SOCKET, group: 'octolab', tapOwner: null, pool: createAddressPool(DEFAULT_POOL_SETTINGS), log: (line: string) => log.push(line), ...extra };
  return { log, links, options: all };
}

async function startupCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetdStartupError);
  return (error as NetdStartupError).code;
}

describe('daemon startup', () => {
  it('creates the run directory 0750 root:group, the socket 0660 root:group and a pidfile with its pid', async () => {
    const host = new FakeNetdServeHost();
    const { options: o, log } = options(host);
    const daemon = await startNetdDaemon(o);
    expect(host.files.get('/run/octolab')).toMatchObject({ kind: 'directory', mode: 0o750, uid: 0, gid: 990 });
    expect(host.files.get(SOCKET)).toMatchObject({ kind: 'socket', mode: 0o660, uid: 0, gid: 990 });
    expect(host.files.get(PIDFILE)?.content).toBe('4321\n');
    expect(log.at(-2)).toMatch(/^listening on \/run\/octolab\/microvm-netd.sock \(root:octolab 0660/);
    expect(log.at(-1)).toBe('lab subnets: /24 from 10.208.0.0/14 (1024 labs), dns 8.8.8.8');
    await daemon.stop();
  });

  it('leaves an existing run directory as it is', async () => {
    const host = new FakeNetdServeHost();
    host.files.set('/run/octolab', { kind: 'directory', mode: 0o755, uid: 0, gid: 0 });
    const daemon = await startNetdDaemon(options(host).options);
    expect(host.files.get('/run/octolab')).toMatchObject({ mode: 0o755, gid: 0 });
    await daemon.stop();
  });

  type Arrange = (host: FakeNetdServeHost, links: FakeLinks) => void;
  const socketThere = (host: FakeNetdServeHost, behaviour: 'live' | 'silent') => {
    host.files.set(SOCKET, { kind: 'socket', mode: 0o660, uid: 0, gid: 990 });
    host.socketBehaviour.set(SOCKET, behaviour);
  };
  const refusals: [string, Arrange, Partial<NetdDaemonOptions>, string][] = [
    ['when not root', (h) => void (h.euid = 1000), {}, 'NOT_ROOT'],
    ['when the group does not exist (it never creates it)', () => undefined, { group: 'nogroup-here' }, 'NETD_GROUP_MISSING'],
    ['with a relative socket path', () => undefined, { socketPath: 'netd.sock' }, 'USAGE'],
    ['with ".." in the pidfile path', () => undefined, { pidfile: '/run/octolab/../x.pid' }, 'USAGE'],
    ['when another daemon answers on the socket', (h) => socketThere(h, 'live'), {}, 'NETD_ALREADY_RUNNING'],
    ['when something mute holds the socket', (h) => socketThere(h, 'silent'), {}, 'NETD_SOCKET_BUSY'],
    ['when the socket path is a regular file', (h) => void h.files.set(SOCKET, { kind: 'file', mode: 0o644, uid: 0, gid: 0 }), {}, 'NETD_PATH_NOT_SOCKET'],
    ['when the pidfile names a live microvm-netd', (h) => {
      h.files.set(PIDFILE, { kind: 'file', mode: 0o644, uid: 0, gid: 0, content: '77\n' });
      h.processes.set(77, 'node bin/octolab-verify.cjs netd serve');
    }, {}, 'NETD_ALREADY_RUNNING'],
    ['when the links cannot be listed (no ip, or no such namespace)', (_h, links) => void links.failQuery({ errno: 'OTHER', message: 'Cannot open network namespace' }), {}, 'NETD_LINKS_UNUSABLE'],
  ];

  it.each(refusals)('refuses to start %s', async (_label, arrange, extra, code) => {
    const host = new FakeNetdServeHost();
    const { options: o, links } = options(host, extra);
    arrange(host, links);
    expect(await startupCode(startNetdDaemon(o))).toBe(code);
    expect(host.listeners.size).toBe(0);
    expect(host.files.get(PIDFILE)?.content).not.toBe('4321\n');
  });

  it('names the group to create when it is missing', async () => {
    const error = await startNetdDaemon(options(new FakeNetdServeHost(), { group: 'labusers' }).options).catch((e: NetdStartupError) => e);
    expect((error as NetdStartupError).hint).toMatch(/groupadd --system labusers/);
  });

  it.each([
    ['a dead pid', '77\n', false],
    ['a live pid that is not microvm-netd (reused)', '77\n', true],
    ['garbage', 'not a pid', false],
  ])('replaces a stale pidfile holding %s', async (_label, content, alive) => {
    const host = new FakeNetdServeHost();
    host.files.set(PIDFILE, { kind: 'file', mode: 0o644, uid: 0, gid: 0, content });
    if (alive) host.processes.set(77, '/usr/sbin/cron -f');
    const { options: o, log } = options(host);
    const daemon = await startNetdDaemon(o);
    expect(host.files.get(PIDFILE)?.content).toBe('4321\n');
    expect(log.some((line) => line.startsWith('replacing a stale pidfile'))).toBe(true);
    await daemon.stop();
  });

  it('replaces a stale socket nobody listens on', async () => {
    const host = new FakeNetdServeHost();
    host.files.set(SOCKET, { kind: 'socket', mode: 0o777, uid: 0, gid: 0 });
    host.socketBehaviour.set(SOCKET, 'refused');
    const { options: o, log } = options(host);
    const daemon = await startNetdDaemon(o);
    expect(host.files.get(SOCKET)).toMatchObject({ mode: 0o660, gid: 990 });
    expect(log).toContain(`replacing stale socket ${SOCKET} (nothing listening)`);
    await daemon.stop();
  });

  it('gives the pidfile back when it cannot listen', async () => {
    const host = new FakeNetdServeHost();
    host.listenFailure = 'EADDRINUSE';
    await expect(startNetdDaemon(options(host).options)).rejects.toThrow(/EADDRINUSE/);
    expect(host.files.has(PIDFILE)).toBe(false);
  });
});

describe('daemon shutdown', () => {
  it('finishes a request in flight, refuses one still arriving, then removes socket and pidfile', async () => {
    const host = new FakeNetdServeHost();
    const { options: o, links, log } = options(host);
    links.latencyMs = 30;
    const daemon = await startNetdDaemon(o);
    const client = createNetdClient({ sockets: host.sockets, socketPath: SOCKET, timeoutMs: 5000 });
    const inFlight = client.alloc(LABS.one);
    const arriving = host.connect(SOCKET);
    const refused = readAll(arriving);
    arriving.write('{"op":');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(daemon.openConnections).toBe(2);
    await daemon.stop();
    await expect(inFlight).resolves.toMatchObject({ tap: 'otp1234567812' });
    expect(JSON.parse((await refused).toString())).toMatchObject({ error: 'SHUTTING_DOWN' });
    expect(host.files.has(SOCKET)).toBe(false);
    expect(host.files.has(PIDFILE)).toBe(false);
    expect(log.at(-1)).toBe('stopped');
    await expect(daemon.stop()).resolves.toBeUndefined();
  });

  it('refuses connections beyond --max-connections with TOO_MANY_CONNECTIONS, and stops with the ones it holds', async () => {
    const host = new FakeNetdServeHost();
    const { options: o, log } = options(host, { maxConnections: 1 });
    const daemon = await startNetdDaemon(o);
    const held = host.connect(SOCKET);
    const heldAnswer = readAll(held);
    held.write('{"op":');
    const extra = host.connect(SOCKET);
    const extraAnswer = readAll(extra);
    extra.end('{"op":"ping"}');
    expect(JSON.parse((await extraAnswer).toString())).toMatchObject({ ok: false, error: 'TOO_MANY_CONNECTIONS' });
    expect(daemon.openConnections).toBe(1);
    expect(log).toContain('op=- lab=- result=TOO_MANY_CONNECTIONS duration_ms=0.0');
    await daemon.stop();
    expect(JSON.parse((await heldAnswer).toString())).toMatchObject({ error: 'SHUTTING_DOWN' });
  });

  it('leaves a pidfile that another process has taken over', async () => {
    const host = new FakeNetdServeHost();
    const daemon = await startNetdDaemon(options(host).options);
    host.files.set(PIDFILE, { kind: 'file', mode: 0o644, uid: 0, gid: 0, content: '999\n' });
    await daemon.stop();
    expect(host.files.get(PIDFILE)?.content).toBe('999\n');
  });
});
