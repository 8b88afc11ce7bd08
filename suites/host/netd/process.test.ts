import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { requireTools } from '../../support/require.ts';
import { awaitDaemonStart, clientOf, ipv4Of, labLinksIn, NamespaceRig, readLinks, waitFor } from './support.ts';

const CLI = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));
const RUN_SCRIPT = fileURLToPath(new URL('../../../bin/run-netd.sh', import.meta.url));
const LAB = '12345678-1234-4234-8234-123456789abc';

const rig = new NamespaceRig();
afterEach(() => rig.finish());

async function setup(ctx: TestContext) {
  const { netns, dir } = await rig.open(ctx);
  const runDir = path.join(dir, 'run');
  return { netns, tmp: dir, socketPath: path.join(runDir, 'netd.sock'), pidfile: path.join(runDir, 'netd.pid') };
}

/** Starts `octolab-verify netd serve` as a child process and waits until it answers ping. */
async function spawnDaemon(args: string[], env: Record<string, string> = {}): Promise<{ child: ResultPromise }> {
  const socketPath = args[args.indexOf('--socket') + 1]!;
  const child = execa(process.execPath, [CLI, 'netd', 'serve', ...args], { env, reject: false, all: true });
  const start = await awaitDaemonStart(rig, child, socketPath);
  if (start.outcome === 'exited') throw new Error(`daemon did not come up (exited ${start.exitCode}):\n${start.output}`);
  // Wrapped: an execa child is thenable, and returning it bare would wait for it to exit.
  return { child };
}

/** A slow `ip` first on PATH: it marks that a batch started, then waits, so a signal lands mid-request. */
async function slowIp(tmp: string): Promise<{ marker: string; env: Record<string, string> }> {
  const realIp = (await execa('sh', ['-c', 'command -v ip'])).stdout.trim();
  const wrapperDir = path.join(tmp, 'bin');
  const marker = path.join(tmp, 'batch-started');
  await fs.mkdir(wrapperDir);
  await fs.writeFile(path.join(wrapperDir, 'ip'), `#!/bin/sh\ncase "$*" in *-batch*) touch '${marker}'; sleep 2;; esac\nexec '${realIp}' "$@"\n`, { mode: 0o755 });
  return { marker, env: { PATH: `${wrapperDir}:${process.env.PATH}` } };
}

/** Runs a CLI client subcommand and returns its exit code and output. */
async function cli(args: string[]) {
  const result = await execa(process.execPath, [CLI, 'netd', ...args], { reject: false });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

describe('octolab-verify netd as a process', () => {
  it('serves the CLI client subcommands and exits 0 on SIGINT, removing socket and pidfile', { tags: ['root', 'net', 'slow'] }, async (ctx) => {
    const { netns, socketPath, pidfile } = await setup(ctx);
    const { child } = await spawnDaemon(['--socket', socketPath, '--group', 'root', '--netns', netns, '--pidfile', pidfile, '--tap-owner', '4242']);
    expect((await fs.readFile(pidfile, 'utf8')).trim()).toBe(String(child.pid));
    const hello = await cli(['hello', '--socket', socketPath]);
    expect(hello).toMatchObject({ code: 0, stdout: expect.stringContaining('microvm-netd api_version 1') });
    expect(hello.stdout).toContain('design: per-lab (hello says design "per-lab")');
    // The address scheme's worked example (docs/netd-daemon.md), on real devices.
    const guest = { guest_ip: '10.210.120.2', gateway: '10.210.120.1', netmask: '255.255.255.0', dns: '8.8.8.8' };
    const alloc = await cli(['alloc', LAB, '--socket', socketPath]);
    expect(alloc).toEqual({
      code: 0,
      stdout: [`lab ${LAB} (per-lab design): bridge obr1234567812, tap otp1234567812 (created)`, 'guest: ip 10.210.120.2, gateway 10.210.120.1, netmask 255.255.255.0, dns 8.8.8.8'].join('\n'),
      stderr: '',
    });
    expect(ipv4Of((await readLinks(netns)).find((link) => link.ifname === 'obr1234567812'))).toEqual(['10.210.120.1/24']);
    const diag = await cli(['diag', LAB, '--socket', socketPath, '--json']);
    expect(JSON.parse(diag.stdout)).toMatchObject({ ok: true, result: { healthy: true, design: 'per-lab', network_params: guest, tap: { owner_uid: 4242 } } });
    const collision = await cli(['alloc', '12345678-12ff-4fff-8fff-ffffffffffff', '--socket', socketPath, '--json']);
    expect(collision.code).toBe(1);
    expect(JSON.parse(collision.stdout)).toMatchObject({ ok: false, error: 'LAB_COLLISION' });
    const list = await cli(['list', '--socket', socketPath]);
    expect(list).toEqual({ code: 0, stdout: ['per-lab design', 'lab unknown (prefix 1234567812)  obr1234567812  otp1234567812', '2 interface(s) listed; the daemon counts 2'].join('\n'), stderr: '' });
    expect(await cli(['release', LAB, '--socket', socketPath])).toMatchObject({ code: 0, stdout: expect.stringContaining('deleted otp1234567812, obr1234567812') });
    expect(await labLinksIn(netns)).toEqual([]);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.all).toMatch(/op=alloc_vm_net lab=12345678-1234-4234-8234-123456789abc result=ok duration_ms=/);
    await expect(fs.lstat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.lstat(pidfile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('on SIGTERM during a request finishes it, refuses one still arriving, removes socket and pidfile and exits 0', { tags: ['root', 'net', 'slow'] }, async (ctx) => {
    const { netns, tmp, socketPath, pidfile } = await setup(ctx);
    const { marker, env } = await slowIp(tmp);
    const { child } = await spawnDaemon(['--socket', socketPath, '--group', 'root', '--netns', netns, '--pidfile', pidfile], env);
    const inFlight = clientOf(socketPath).alloc(LAB);
    expect(await waitFor(() => fs.access(marker).then(() => true), 30_000)).toBe(true);
    const arriving = net.createConnection(socketPath);
    const arrivingAnswer = new Promise<string>((resolve) => {
      let text = '';
      arriving.on('data', (chunk) => (text += chunk));
      arriving.on('close', () => resolve(text));
    });
    await new Promise<void>((resolve) => arriving.once('connect', () => resolve()));
    arriving.write('{"op":');
    child.kill('SIGTERM');
    await expect(inFlight).resolves.toMatchObject({ bridge: 'obr1234567812', tap: 'otp1234567812' });
    expect(JSON.parse(await arrivingAnswer)).toMatchObject({ ok: false, error: 'SHUTTING_DOWN' });
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.all).toMatch(/received SIGTERM: shutting down[\s\S]*op=alloc_vm_net lab=\S+ result=ok[\s\S]*stopped/);
    await expect(fs.lstat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.lstat(pidfile)).rejects.toMatchObject({ code: 'ENOENT' });
    // The request completed: both devices exist, whole; deleting the namespace removes them.
    expect(await labLinksIn(netns)).toEqual(['obr1234567812', 'otp1234567812']);
  });

  it('answers TOO_MANY_CONNECTIONS beyond --max-connections on the real socket, and serves again when one closes', { tags: ['root', 'net', 'slow'] }, async (ctx) => {
    const { netns, socketPath, pidfile } = await setup(ctx);
    const { child } = await spawnDaemon(['--socket', socketPath, '--group', 'root', '--netns', netns, '--pidfile', pidfile, '--max-connections', '2']);
    const holders = await Promise.all(
      [1, 2].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const socket = net.createConnection(socketPath, () => resolve(socket));
            socket.on('error', () => undefined);
            socket.write('{"op":');
          }),
      ),
    );
    const busy = await cli(['ping', '--socket', socketPath, '--json']);
    expect(busy.code).toBe(1);
    expect(JSON.parse(busy.stdout)).toMatchObject({ ok: false, error: 'TOO_MANY_CONNECTIONS', hint: expect.stringMatching(/retry shortly/) });
    holders[0]!.destroy();
    expect(await waitFor(async () => (await clientOf(socketPath, 1000).ping()).status === 'ok', 30_000)).toBe(true);
    holders[1]!.destroy();
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain('result=TOO_MANY_CONNECTIONS');
  });

  it('dies at once on a second SIGTERM while still finishing a request', { tags: ['root', 'net', 'slow'] }, async (ctx) => {
    const { netns, tmp, socketPath, pidfile } = await setup(ctx);
    const { marker, env } = await slowIp(tmp);
    const { child } = await spawnDaemon(['--socket', socketPath, '--group', 'root', '--netns', netns, '--pidfile', pidfile], env);
    const inFlight = clientOf(socketPath).alloc(LAB).catch((error: unknown) => error);
    expect(await waitFor(() => fs.access(marker).then(() => true), 30_000)).toBe(true);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.kill('SIGTERM');
    expect(await waitFor(async () => stderr.includes('shutting down'), 30_000)).toBe(true);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(143);
    expect(stderr).toContain('octolab-verify: second SIGTERM: exiting now; teardown was interrupted');
    expect(await inFlight).toBeInstanceOf(Error);
  });

  it('refuses a second daemon process while the first answers, with a clear error and exit 1', { tags: ['root', 'net', 'slow'] }, async (ctx) => {
    const { netns, socketPath, pidfile } = await setup(ctx);
    await spawnDaemon(['--socket', socketPath, '--group', 'root', '--netns', netns, '--pidfile', pidfile]);
    const second = await execa(process.execPath, [CLI, 'netd', 'serve', '--socket', socketPath, '--group', 'root', '--netns', netns, '--pidfile', pidfile], { reject: false });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(/microvm-netd is already running on/);
    await expect(clientOf(socketPath).ping()).resolves.toMatchObject({ status: 'ok' });
  });

  it('starts in the background with bin/run-netd.sh --daemon, is idempotent, and stops with --stop', { tags: ['root', 'net', 'slow'] }, async (ctx) => {
    const { tmp, socketPath } = await setup(ctx);
    requireTools(ctx, 'net', ['bash']);
    const log = path.join(tmp, 'netd.log');
    const common = ['--socket', socketPath, '--group', 'root'];
    const started = await execa(RUN_SCRIPT, ['--daemon', ...common, '--log', log], { reject: false });
    expect(started).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/microvm-netd running \(pid \d+\)/) });
    const pid = Number((await fs.readFile(path.join(path.dirname(socketPath), 'microvm-netd.pid'), 'utf8')).trim());
    await expect(clientOf(socketPath).ping()).resolves.toMatchObject({ status: 'ok' });
    expect(await execa(RUN_SCRIPT, ['--daemon', ...common, '--log', log], { reject: false })).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('already answers') });
    expect(await execa(RUN_SCRIPT, ['--stop', '--socket', socketPath], { reject: false })).toMatchObject({ exitCode: 0, stdout: `run-netd: stopped (pid ${pid})` });
    await expect(fs.lstat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await fs.readFile(log, 'utf8')).toMatch(/received SIGTERM: shutting down[\s\S]*stopped/);
  });

  const badStarts: [string, string[], RegExp][] = [
    ['a missing group', ['--group', 'ovt-no-such-group'], /group "ovt-no-such-group" does not exist/],
    ['a namespace that does not exist', ['--group', 'root', '--netns', 'ovt-absent-ns'], /cannot list network links/],
    ['a non-numeric tap owner', ['--group', 'root', '--tap-owner', 'nobody'], /--tap-owner must be a numeric uid/],
  ];
  it.for(badStarts)('refuses to start with %s and leaves nothing behind', { tags: ['root', 'net'] }, async ([, extra, message], ctx) => {
    const { socketPath } = await setup(ctx);
    const result = await execa(process.execPath, [CLI, 'netd', 'serve', '--socket', socketPath, ...extra], { reject: false });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(message);
    await expect(fs.lstat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
