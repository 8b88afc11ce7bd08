import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNetdProcess, type FakeNetdProcess } from '../../../fixtures/fake-netd-spawn.ts';
import { startSharedNetdProcess, type SharedNetdProcess } from '../../../fixtures/fake-shared-netd/spawn.ts';
import { command } from '../../../lib/cli/commands/netd.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { UsageError } from '../../../lib/errors.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../../lib/version.ts';
import { LABS } from './support.ts';

const BIN = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));

function io(): CliIo {
  return { argv: [], env: {}, stdout: new PassThrough(), stderr: new PassThrough(), cwd: '/nonexistent' };
}

describe('octolab-verify netd arguments', () => {
  it.each<[string, string[], RegExp]>([
    ['no subcommand', [], /needs a subcommand/],
    ['an unknown subcommand', ['frob'], /unknown netd subcommand "frob"/],
    ...['constructor', 'toString', '__proto__', 'hasOwnProperty'].map((name) => [`the Object.prototype name ${name}`, [name, '--json'], new RegExp(`unknown netd subcommand "${name}"`)] as [string, string[], RegExp]),
    ['a timeout in hex', ['ping', '--socket', '/x.sock', '--timeout', '0x10'], /--timeout must be a number of seconds .*got "0x10"/],
    ['a timeout longer than a timer keeps', ['ping', '--socket', '/x.sock', '--timeout', '3000000'], /from 0.001 to 2147483 .*got "3000000"/],
    ['a request timeout that rounds to 0 ms', ['serve', '--socket', '/x.sock', '--group', 'g', '--request-timeout', '0.0001'], /--request-timeout must be a number of seconds from 0.001/],
    ['alloc without a lab id', ['alloc', '--socket', '/x.sock'], /netd alloc needs a LAB_ID/],
    ['ping with an extra argument', ['ping', 'extra', '--socket', '/x.sock'], /unexpected argument "extra"/],
    ['a serve option on a client call', ['ping', '--group', 'g', '--socket', '/x.sock'], /--group only apply to netd serve/],
    ['serve with an argument', ['serve', 'now', '--socket', '/x.sock', '--group', 'g'], /netd serve takes no arguments/],
    ['serve with a non-numeric tap owner', ['serve', '--socket', '/x.sock', '--group', 'g', '--tap-owner', 'nobody'], /--tap-owner must be a numeric uid/],
    ['serve with a namespace name that is a path', ['serve', '--socket', '/x.sock', '--group', 'g', '--netns', '../../proc/1/ns/net'], /--netns must be a network namespace name/],
    ['serve with a zero request timeout', ['serve', '--socket', '/x.sock', '--group', 'g', '--request-timeout', '0'], /--request-timeout must be a number of seconds from 0.001/],
    ['an unknown option', ['ping', '--sockets', '/x.sock'], /unknown option --sockets/],
    ...['0', '4097', '1e2', ' 8', ''].map((value) => [`serve with --max-connections ${JSON.stringify(value)}`, ['serve', '--socket', '/x.sock', '--group', 'g', '--max-connections', value], /--max-connections must be a whole number from 1 to 4096/] as [string, string[], RegExp]),
    ['--max-connections on a client call', ['ping', '--socket', '/x.sock', '--max-connections', '8'], /--max-connections only apply to netd serve/],
  ])('refuses %s with a usage error naming the problem', async (_label, args, message) => {
    const error = await command.run(io(), args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).summary).toMatch(message);
    expect((error as UsageError).hint).toMatch(/see `octolab-verify netd --help`/);
  });
});

/** Runs the real launcher with `args` (and NO_COLOR); resolves with its exit code and output. */
async function cli(args: string[]) {
  const result = await execa(process.execPath, [BIN, 'netd', ...args], { reject: false, env: { NO_COLOR: '1' }, extendEnv: true, timeout: 60_000 });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

let temp: DirectoryResult;
beforeAll(async () => {
  temp = await dir({ unsafeCleanup: true });
});
afterAll(async () => {
  await temp.cleanup();
});

describe('`octolab-verify netd …` (the real launcher) against the shared-bridge fake', { timeout: 120_000 }, () => {
  let netd: SharedNetdProcess;
  let socket: string[];
  beforeAll(async () => {
    netd = await startSharedNetdProcess({ socketPath: path.join(temp.path, 'shared.sock'), fakeTools: true });
    socket = ['--socket', netd.socketPath];
  });
  afterAll(async () => {
    expect((await netd.stop()).exitCode).toBe(0);
  });

  it('shows the design with hello, and --json carries the hello once, not wrapped twice', async () => {
    const text = await cli(['hello', ...socket]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toBe(
      [
        'microvm-netd api_version 1 build netd-1',
        'ops: alloc_vm_net, cleanup_port_forward, create, destroy, diag_vm_net, hello, list, ping, release_vm_net, setup_port_forward',
        "design: shared-bridge (hello lists setup_port_forward and cleanup_port_forward (upstream's shared-bridge daemon))",
      ].join('\n'),
    );
    const json = await cli(['hello', '--json', ...socket]);
    expect(json.code).toBe(0);
    const document = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(document).toEqual({
      ok: true,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      op: 'hello',
      result: {
        hello: expect.objectContaining({ name: 'microvm-netd', build_id: 'netd-1', design: 'shared-bridge' }),
        design: 'shared-bridge',
        design_evidence: expect.any(String),
      },
    });
    expect(JSON.stringify(document.result)).not.toContain('"ok"');
  });

  it('allocates, diagnoses, lists and releases with exit 0 and truthful text', async () => {
    const alloc = await cli(['alloc', LABS.one, ...socket]);
    expect(alloc).toMatchObject({ code: 0, stderr: '' });
    expect(alloc.stdout).toBe(
      [
        `lab ${LABS.one} (shared-bridge design): tap otp1234567812 on the shared bridge br-octonet (created or already present: the daemon does not say)`,
        'guest: ip 10.200.89.127, gateway 10.200.0.1, netmask 255.255.0.0, dns 8.8.8.8',
      ].join('\n'),
    );
    const diag = await cli(['diag', LABS.one, ...socket]);
    expect(diag).toMatchObject({ code: 0, stderr: '' });
    expect(diag.stdout).toBe(
      [
        `lab ${LABS.one} (shared-bridge design): healthy (the daemon says: healthy)`,
        '  bridge br-octonet: exists yes, kind unknown, up unknown, operstate unknown',
        '  tap    otp1234567812: exists yes, kind unknown, up unknown, operstate down, master br-octonet',
        '  guest: ip 10.200.89.127, gateway 10.200.0.1, netmask 255.255.0.0, dns 8.8.8.8',
        '  checks:',
        '    ok   tap exists: otp1234567812 exists',
        '    ok   bridge exists: br-octonet exists',
        "    ok   tap enslaved to br-octonet: the TAP's master is br-octonet",
        '    ?    devices up: the daemon does not report whether the devices are up',
        '    ok   guest network parameters: reported',
      ].join('\n'),
    );
    const list = await cli(['list', ...socket]);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toBe(
      [
        'shared-bridge design',
        "shared bridge br-octonet (every lab's TAP is enslaved to it; never a lab's to delete)",
        'lab unknown (prefix 1234567812)  -  otp1234567812',
        '2 interface(s) listed; the daemon counts 2',
      ].join('\n'),
    );
    const release = await cli(['release', LABS.one, ...socket]);
    expect(release).toMatchObject({ code: 0, stderr: '' });
    expect(release.stdout).toBe(
      `lab ${LABS.one} (shared-bridge design): tap otp1234567812 released (deleted, or already gone: this daemon does not say which); the shared bridge stays (release deletes only the lab's TAP)`,
    );
  });

  it('exits 1 for diag of a lab that has no devices, saying why on stderr', async () => {
    const diag = await cli(['diag', LABS.other, ...socket]);
    expect(diag.code).toBe(1);
    expect(diag.stdout.split('\n')[0]).toBe(`lab ${LABS.other} (shared-bridge design): NOT healthy (the daemon says: not healthy)`);
    expect(diag.stdout).toContain('  tap    otpabcdefabcd: absent');
    expect(diag.stderr).toBe(`octolab-verify netd diag: lab ${LABS.other} is NOT healthy`);
    const json = await cli(['diag', LABS.other, '--json', ...socket]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, op: 'diag', result: { verdict: 'not-healthy', design: 'shared-bridge' } });
  });
});

/** Starts the per-lab fake (the reference daemon's own handling, or with --previous/--reply an older daemon) with `args`. */
function perLabFake(name: string, args: string[] = []): Promise<FakeNetdProcess> {
  return startFakeNetdProcess(path.join(temp.path, name), args);
}

describe('`octolab-verify netd …` (the real launcher) against per-lab daemons', { timeout: 120_000 }, () => {
  it("shows the reference daemon's design from hello's field, and the guest parameters alloc and diag return", async () => {
    const netd = await perLabFake('per-lab.sock');
    const socket = ['--socket', netd.socketPath];
    try {
      const hello = await cli(['hello', ...socket]);
      expect(hello).toEqual({
        code: 0,
        stdout: ['microvm-netd api_version 1 build octolab-verify-netd-1', 'ops: alloc_vm_net, create, destroy, diag_vm_net, hello, list, ping, release_vm_net', 'design: per-lab (hello says design "per-lab")'].join('\n'),
        stderr: '',
      });
      const alloc = await cli(['alloc', LABS.one, ...socket]);
      expect(alloc).toEqual({
        code: 0,
        stdout: [`lab ${LABS.one} (per-lab design): bridge obr1234567812, tap otp1234567812 (created)`, 'guest: ip 10.210.120.2, gateway 10.210.120.1, netmask 255.255.255.0, dns 8.8.8.8'].join('\n'),
        stderr: '',
      });
      const diag = await cli(['diag', LABS.one, '--json', ...socket]);
      expect(diag.code).toBe(0);
      expect(JSON.parse(diag.stdout)).toMatchObject({ ok: true, op: 'diag', result: { design: 'per-lab', verdict: 'healthy', network_params: { guest_ip: '10.210.120.2', gateway: '10.210.120.1', netmask: '255.255.255.0', dns: '8.8.8.8' } } });
      expect(await cli(['list', ...socket])).toEqual({
        code: 0,
        stdout: ['per-lab design', 'lab unknown (prefix 1234567812)  obr1234567812  otp1234567812', '2 interface(s) listed; the daemon counts 2'].join('\n'),
        stderr: '',
      });
      expect(await cli(['release', LABS.one, ...socket])).toEqual({ code: 0, stdout: `lab ${LABS.one} (per-lab design): deleted otp1234567812, obr1234567812`, stderr: '' });
    } finally {
      expect((await netd.stop()).exitCode).toBe(0);
    }
  });

  it("names the guest parameters the previous daemon's alloc lacks, and lists its labs by id", async () => {
    const netd = await perLabFake('previous.sock', ['--previous']);
    const socket = ['--socket', netd.socketPath];
    try {
      expect((await cli(['hello', ...socket])).stdout).toContain(`design: per-lab (hello's build_id is "octolab-verify-netd-1" (this project's per-lab daemon, a version from before hello's design field))`);
      const alloc = await cli(['alloc', LABS.one, '--json', ...socket]);
      expect(alloc.code).toBe(0);
      expect(JSON.parse(alloc.stdout)).toMatchObject({ ok: true, result: { design: 'per-lab', bridge: 'obr1234567812', guest_ip: null, missing: ['guest_ip', 'gateway', 'netmask', 'dns'] } });
      const text = await cli(['alloc', LABS.one, ...socket]);
      expect(text.stdout.split('\n').slice(1)).toEqual([
        'guest: ip unknown, gateway unknown, netmask unknown, dns unknown',
        `the reply lacks guest_ip, gateway, netmask, dns: OctoLab's backend refuses such an alloc reply ("Missing required fields in response")`,
      ]);
      expect((await cli(['list', ...socket])).stdout).toBe(['per-lab design', `${LABS.one}  obr1234567812  otp1234567812`, '2 interface(s) listed; the daemon counts 2'].join('\n'));
    } finally {
      expect((await netd.stop()).exitCode).toBe(0);
    }
  });

  it('accepts a bare {"ok":true} to ping, naming what it lacks, and says so when hello is missing (exit 1)', async () => {
    const bare = await perLabFake('bare.sock', ['--reply', '{"ok":true}']);
    const old = await perLabFake('old.sock', ['--reply', '{"ok":false,"error":"UNKNOWN_OP","message":"Unknown operation: hello"}']);
    try {
      expect(await cli(['ping', '--socket', bare.socketPath])).toEqual({ code: 0, stdout: 'pong: status unknown, version unknown, ts unknown (the reply lacks result)', stderr: '' });
      const hello = await cli(['hello', '--socket', old.socketPath]);
      expect(hello.code).toBe(1);
      expect(hello.stdout).toBe(
        'no hello: the daemon answered UNKNOWN_OP (api_version, build and ops unknown)\ndesign: per-lab (no hello (UNKNOWN_OP): the old per-lab daemon, which predates the handshake)',
      );
      expect(hello.stderr).toBe("octolab-verify netd hello: microvm-netd answers no hello (the old per-lab daemon): OctoLab's current backend refuses it");
    } finally {
      await bare.stop();
      await old.stop();
    }
  });
});
