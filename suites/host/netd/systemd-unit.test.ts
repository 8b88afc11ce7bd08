/**
 * The shipped systemd unit of microvm-netd (lib/netd/deploy/microvm-netd.service), checked without
 * a systemd to run it: systemd-analyze accepts it, and its ExecStartPre and ExecStart, run as the
 * unit runs them (its PATH, its CapabilityBoundingSet, NoNewPrivileges, KillSignal), serve a lab
 * inside a namespace of the test. A capability the daemon needs but the unit drops fails here.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { requireTools } from '../../support/require.ts';
import { awaitDaemonStart, clientOf, labLinksIn, NamespaceRig } from './support.ts';

const UNIT = fileURLToPath(new URL('../../../lib/netd/deploy/microvm-netd.service', import.meta.url));
const CLI = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));
const INSTALLED_CLI = '/usr/local/bin/octolab-verify';
const LAB = '12345678-1234-4234-8234-123456789abc';

/** Bit numbers (linux/capability.h) of the capabilities a netd unit may name. */
const CAP_BITS: Record<string, number> = { CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_FOWNER: 3, CAP_NET_ADMIN: 12, CAP_NET_RAW: 13, CAP_SYS_ADMIN: 21 };

/** The [Service] section of a unit file: each key with its values in order (a key may repeat). */
function serviceSection(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      section = line;
      continue;
    }
    if (line.endsWith('\\')) throw new Error(`the unit continues a line (${line}); this test reads one line per key`);
    const at = line.indexOf('=');
    if (section !== '[Service]' || at < 0) continue;
    const key = line.slice(0, at).trim();
    keys.set(key, [...(keys.get(key) ?? []), line.slice(at + 1).trim()]);
  }
  return keys;
}

function one(service: Map<string, string[]>, key: string): string {
  const values = service.get(key) ?? [];
  expect(values, `[Service] ${key}`).toHaveLength(1);
  return values[0]!;
}

/** Splits a command line that uses no quoting (asserted), dropping systemd's `+`/`-` prefixes. */
function words(command: string): string[] {
  expect(command, 'the unit quotes nothing, so splitting at spaces is exact').not.toMatch(/["'\\$%]/);
  return command.replace(/^[-+@!:]+/, '').split(/\s+/);
}

/** Replaces the value after `flag`, which must be present. */
function withValue(args: string[], flag: string, value: string): string[] {
  const at = args.indexOf(flag);
  expect(at, `${flag} in ${args.join(' ')}`).toBeGreaterThan(-1);
  return args.map((arg, i) => (i === at + 1 ? value : arg));
}

/** The mask of CapEff/CapBnd in /proc/<pid>/status for these capability names. */
function capMask(names: readonly string[]): bigint {
  return names.reduce((mask, name) => {
    if (!Object.hasOwn(CAP_BITS, name)) throw new Error(`${name} is not in this test's table; add its bit number from linux/capability.h`);
    return mask | (1n << BigInt(CAP_BITS[name]!));
  }, 0n);
}

async function procCaps(pid: number): Promise<{ effective: bigint; bounding: bigint; noNewPrivs: boolean }> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => status.match(new RegExp(`^${name}:\\s*(\\S+)$`, 'm'))?.[1];
  return { effective: BigInt(`0x${field('CapEff')}`), bounding: BigInt(`0x${field('CapBnd')}`), noNewPrivs: field('NoNewPrivs') === '1' };
}

const rig = new NamespaceRig();
afterEach(() => rig.finish());

/** The unit's settings this test runs the daemon with. */
async function readUnit() {
  const service = serviceSection(await fs.readFile(UNIT, 'utf8'));
  const environment = one(service, 'Environment');
  expect(environment).toMatch(/^PATH=\S+$/);
  return {
    service,
    path: environment.slice('PATH='.length),
    capabilities: one(service, 'CapabilityBoundingSet').split(/\s+/),
    noNewPrivileges: one(service, 'NoNewPrivileges') === 'yes',
    killSignal: one(service, 'KillSignal') as NodeJS.Signals,
    execStartPre: words(one(service, 'ExecStartPre')),
    execStart: words(one(service, 'ExecStart')),
  };
}

/** What happened to a daemon started as the unit starts it. */
type Launch = { outcome: 'up'; child: ResultPromise } | { outcome: 'exited'; exitCode: number | undefined; output: string };

/**
 * Runs the unit's ExecStartPre and ExecStart in `netns` with the unit's PATH, bounding set and
 * no_new_privs (setpriv does what systemd would), with `capabilities` in place of the unit's when
 * given and `extraArgs` appended (as `systemctl edit` would); the run directory and group are the
 * test's. Resolves once the daemon answers ping, or has exited. (ProtectSystem, PrivateTmp and
 * the other sandboxing keys need systemd itself: not emulated here.)
 */
async function launchAsTheUnit(ctx: TestContext, options: { capabilities?: readonly string[]; extraArgs?: string[] } = {}) {
  requireTools(ctx, 'users', ['groupadd', 'groupdel']);
  const { netns, dir } = await rig.open(ctx);
  requireTools(ctx, 'net', ['setpriv', 'install']);
  // A group of the test's own, as `octolab` is: giving the socket to it takes CAP_CHOWN.
  const group = `ovtu${randomBytes(3).toString('hex')}`;
  await execa('groupadd', ['--system', group]);
  rig.onFinish(async () => {
    await execa('groupdel', [group], { reject: false });
    expect((await execa('getent', ['group', group], { reject: false })).exitCode).toBe(2);
  });
  const gid = Number((await execa('getent', ['group', group])).stdout.split(':')[2]);
  const unit = await readUnit();
  const runDir = path.join(dir, 'run');
  const socketPath = path.join(runDir, 'microvm-netd.sock');

  // ExecStartPre: `install -d -m 0750 -o root -g octolab /run/octolab`, here for the test's directory and group.
  expect(unit.execStartPre.slice(0, 2)).toEqual(['/usr/bin/install', '-d']);
  const unitSocket = unit.execStart[unit.execStart.indexOf('--socket') + 1];
  expect(unit.execStartPre.at(-1), "ExecStartPre creates the directory of ExecStart's --socket").toBe(path.dirname(unitSocket ?? ''));
  await execa(unit.execStartPre[0]!, [...withValue(unit.execStartPre.slice(1, -1), '-g', group), runDir]);

  expect(unit.execStart.slice(0, 3)).toEqual([INSTALLED_CLI, 'netd', 'serve']);
  const args = [...withValue(withValue(unit.execStart.slice(1), '--socket', socketPath), '--group', group), ...(options.extraArgs ?? [])];
  const caps = options.capabilities ?? unit.capabilities;
  const bounding = ['-all', ...caps.map((name) => `+${name.replace(/^CAP_/, '').toLowerCase()}`)].join(',');
  // ip netns exec and setpriv both exec: the child's pid is the daemon's.
  const child = execa('ip', ['netns', 'exec', netns, 'setpriv', `--bounding-set=${bounding}`, ...(unit.noNewPrivileges ? ['--no-new-privs'] : []), '--', process.execPath, CLI, ...args], {
    env: { PATH: unit.path },
    extendEnv: false,
    reject: false,
    all: true,
  });
  const start = await awaitDaemonStart(rig, child, socketPath);
  const launch: Launch = start.outcome === 'up' ? { outcome: 'up', child } : start;
  return { netns, runDir, socketPath, gid, unit, caps, launch };
}

/** The capabilities the shipped unit grants, read when the file is collected (one test each). */
const UNIT_CAPABILITIES = (serviceSection(readFileSync(UNIT, 'utf8')).get('CapabilityBoundingSet')?.[0] ?? '').split(/\s+/).filter(Boolean);

describe('the shipped systemd unit of microvm-netd', () => {
  it('passes systemd-analyze verify once ExecStart points at this checkout', { tags: ['systemd'] }, async (ctx) => {
    requireTools(ctx, 'systemd', ['systemd-analyze']);
    const { dir } = await rig.open(ctx);
    const unitText = await fs.readFile(UNIT, 'utf8');
    expect(unitText).toContain(`ExecStart=${INSTALLED_CLI} `);
    const copy = path.join(dir, 'microvm-netd.service');
    await fs.writeFile(copy, unitText.replaceAll(INSTALLED_CLI, CLI));
    const result = await execa('systemd-analyze', ['verify', '--man=no', copy], { reject: false });
    // systemd-analyze exits 0 even for unknown keys: what it says about this file must be nothing.
    const about = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.includes('microvm-netd'));
    expect({ exitCode: result.exitCode, about }).toEqual({ exitCode: 0, about: [] });
  });

  it('serves a lab with only the unit’s capabilities and no_new_privs (plus --tap-owner), and stops cleanly on its KillSignal', { tags: ['root', 'net', 'users', 'slow'] }, async (ctx) => {
    const { netns, runDir, socketPath, gid, unit, caps, launch } = await launchAsTheUnit(ctx, { extraArgs: ['--tap-owner', '4242'] });
    if (launch.outcome !== 'up') throw new Error(`the daemon exited (${launch.exitCode}) as the unit starts it:\n${launch.output}`);
    const seen = await procCaps(launch.child.pid!);
    expect(seen).toEqual({ effective: capMask(caps), bounding: capMask(caps), noNewPrivs: unit.noNewPrivileges });
    const run = await fs.stat(runDir);
    expect({ uid: run.uid, gid: run.gid, mode: run.mode & 0o7777 }).toEqual({ uid: 0, gid, mode: 0o750 });
    const socket = await fs.lstat(socketPath);
    expect({ uid: socket.uid, gid: socket.gid, mode: socket.mode & 0o7777 }).toEqual({ uid: 0, gid, mode: 0o660 });

    const client = clientOf(socketPath);
    await expect(client.alloc(LAB)).resolves.toMatchObject({ bridge: 'obr1234567812', tap: 'otp1234567812', created: true });
    await expect(client.diag(LAB)).resolves.toMatchObject({ healthy: true, tap: { owner_uid: 4242, owner_matches: true } });
    expect(await labLinksIn(netns)).toEqual(['obr1234567812', 'otp1234567812']);
    await expect(client.release(LAB)).resolves.toMatchObject({ bridge_deleted: 'obr1234567812', tap_deleted: 'otp1234567812' });
    expect(await labLinksIn(netns)).toEqual([]);

    launch.child.kill(unit.killSignal);
    const result = await launch.child;
    expect(result.exitCode, String(result.all)).toBe(0);
    expect(await fs.readdir(runDir)).toEqual([]);
  });

  it('grants at least one capability', () => {
    expect(UNIT_CAPABILITIES.length).toBeGreaterThan(0);
  });

  // Least privilege, both ways: the test above shows the set is enough, these that none is spare.
  it.for(UNIT_CAPABILITIES)('needs %s: without it the daemon fails to start or to serve a lab', { tags: ['root', 'net', 'users', 'slow'] }, async (drop, ctx) => {
    const { netns, socketPath, launch } = await launchAsTheUnit(ctx, { capabilities: UNIT_CAPABILITIES.filter((name) => name !== drop) });
    if (launch.outcome === 'exited') {
      expect(launch.exitCode).not.toBe(0);
      expect(launch.output).toMatch(/EPERM|not permitted/);
      return;
    }
    const error = await clientOf(socketPath).alloc(LAB).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, `alloc worked without ${drop}`).toMatchObject({ code: 'EPERM' });
    expect(await labLinksIn(netns)).toEqual([]);
  });
});
