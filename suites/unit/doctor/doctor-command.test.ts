import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { breakers, healthyScenario, makeWsl, type DoctorScenario } from '../../../fixtures/doctor-hosts.ts';
import { runDoctorCommand, shouldColour } from '../../../lib/cli/commands/doctor.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { runCli } from '../../../lib/cli/main.ts';
import { FIXED_CLOCK, FIXED_FACTS } from './doctor-support.ts';

interface Captured {
  io: CliIo;
  stdout(): string;
  stderr(): string;
}

function fakeIo(args: string[], env: Record<string, string> = {}, options: { tty?: boolean; cwd?: string } = {}): Captured {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  err.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stdoutStream = Object.assign(out, { isTTY: options.tty ?? false });
  return { io: { argv: args, env, stdout: stdoutStream, stderr: err, cwd: options.cwd ?? '/repo' }, stdout: () => stdout, stderr: () => stderr };
}

/** The env the seed's setup writes, so config comes out as the scenario's. */
const SETUP_ENV = {
  OCTOLAB_RUNTIME: 'firecracker',
  OCTOLAB_MICROVM_KERNEL_PATH: '/var/lib/octolab/firecracker/vmlinux',
  OCTOLAB_MICROVM_ROOTFS_BASE_PATH: '/var/lib/octolab/firecracker/rootfs.ext4',
};

async function doctor(s: DoctorScenario, args: string[], env: Record<string, string> = SETUP_ENV, options: { tty?: boolean; cwd?: string } = {}) {
  const captured = fakeIo(args, env, options);
  const code = await runDoctorCommand(captured.io, args, { host: s.host, clock: FIXED_CLOCK, gatherFacts: async () => FIXED_FACTS });
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe('octolab-verify doctor', () => {
  it('exits 0 and prints the text report on a healthy host', async () => {
    const { code, stdout } = await doctor(healthyScenario(), []);
    expect(code).toBe(0);
    expect(stdout).toContain('Firecracker available and ready');
    expect(stdout).not.toMatch(/\u001b\[/);
  });

  it('exits 2 when a fatal check failed, and --json prints upstream\'s shape', async () => {
    const s = healthyScenario();
    breakers.firecrackerMissing(s);
    const { code, stdout } = await doctor(s, ['--json']);
    expect(code).toBe(2);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ ok: false, summary: 'Firecracker unavailable: firecracker check(s) failed', fatal_count: 1, exit_code: 2 });
    expect(json.checks.find((c: { name: string }) => c.name === 'firecracker').hint).toMatch(/Install Firecracker v1\.7\.0/);
  });

  it.each([
    [[], 0],
    [['--strict'], 3],
  ])('with a warning, exits %#: args %j → %i', async (args, code) => {
    const s = makeWsl(healthyScenario());
    expect((await doctor(s, args)).code).toBe(code);
  });

  it('reads the env file given with --dotenv (or its old name --env-file, through the host) and records where values came from', async () => {
    const s = healthyScenario();
    s.host.withFile('/etc/octolab.env', { kind: 'file', content: 'OCTOLAB_MICROVM_KERNEL_PATH=/nowhere/vmlinux\n' });
    const { code, stdout } = await doctor(s, ['--json', '--env-file', '/etc/octolab.env'], { OCTOLAB_RUNTIME: 'firecracker', OCTOLAB_MICROVM_ROOTFS_BASE_PATH: '/var/lib/octolab/firecracker/rootfs.ext4' });
    expect(code).toBe(2);
    const json = JSON.parse(stdout);
    expect(json.checks.find((c: { name: string }) => c.name === 'kernel').details).toBe('kernel not found: /nowhere/vmlinux');
    expect(json.config_sources.OCTOLAB_MICROVM_KERNEL_PATH).toBe('/etc/octolab.env:1 (OCTOLAB_MICROVM_KERNEL_PATH)');
  });

  it('writes the JUnit report atomically to --junit, relative to the working directory', async () => {
    await withDir(
      async ({ path: dir }) => {
        const s = healthyScenario();
        breakers.kvmMissing(s);
        const { code, stderr } = await doctor(s, ['--junit', 'out/doctor.xml'], SETUP_ENV, { cwd: dir });
        expect(code).toBe(2);
        const xml = await readFile(path.join(dir, 'out/doctor.xml'), 'utf8');
        expect(xml).toContain('<failure message="/dev/kvm not found">');
        expect(stderr).toContain(`JUnit report written to ${path.join(dir, 'out/doctor.xml')}`);
      },
      { unsafeCleanup: true },
    );
  });

  it('replaces an existing JUnit file rather than appending to it', async () => {
    await withDir(
      async ({ path: dir }) => {
        await mkdir(path.join(dir, 'r'));
        await writeFile(path.join(dir, 'r/d.xml'), 'old content that must go');
        await doctor(healthyScenario(), ['--junit', 'r/d.xml'], SETUP_ENV, { cwd: dir });
        const xml = await readFile(path.join(dir, 'r/d.xml'), 'utf8');
        expect(xml.startsWith('<?xml')).toBe(true);
        expect(xml).not.toContain('old content');
      },
      { unsafeCleanup: true },
    );
  });

  it.each([
    [true, {}, true],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
    [true, { TERM: 'dumb' }, false],
    [false, {}, false],
  ])('colours only on a TTY without NO_COLOR (tty %s, env %j → %s)', async (tty, env, colour) => {
    const captured = fakeIo([], env, { tty });
    expect(shouldColour(captured.io)).toBe(colour);
    const { stdout } = await doctor(healthyScenario(), [], { ...SETUP_ENV, ...env }, { tty });
    expect(/\u001b\[/.test(stdout)).toBe(colour);
  });

  it('rejects an unknown option with one line that points at --help (exit 64 through the CLI)', async () => {
    const captured = fakeIo(['doctor', '--jsno']);
    expect(await runCli(captured.io)).toBe(64);
    expect(captured.stderr()).toBe('octolab-verify doctor: unknown option --jsno; see `octolab-verify doctor --help`\n');
  });

  it.each(['doctr', 'constructor', 'toString', '__proto__'])('the CLI refuses the unknown command %j in one line (exit 64)', async (name) => {
    const captured = fakeIo([name]);
    expect(await runCli(captured.io)).toBe(64);
    expect(captured.stderr()).toBe(`octolab-verify: unknown command ${JSON.stringify(name)}; see \`octolab-verify --help\` for the commands\n`);
  });

  it('is registered in the CLI and documents every option and its exit codes in --help', async () => {
    const captured = fakeIo(['doctor', '--help']);
    expect(await runCli(captured.io)).toBe(0);
    const help = captured.stdout();
    expect(help).toMatch(/^usage: octolab-verify doctor /);
    for (const flag of ['--json', '--junit FILE', '--format NAME[:FILE]', '--strict', '--quiet', '--dotenv PATH', '--help']) expect(help).toContain(`  ${flag}`);
    expect(help).toMatch(/--strict +A warning fails the run too \(exit 3\)/);
    expect(help).toMatch(/exit codes:\n  0 +no fatal check failed[\s\S]*\n  1 +the checks ran, but a report file \(--junit, --format NAME:FILE\) could not\s+be written[\s\S]*\n  2 +the doctor found a fatal problem[\s\S]*\n  3 +--strict, and a doctor check warned[\s\S]*\n  64 +the command line is wrong[\s\S]*\n  78 +a setting/);
    const top = fakeIo(['--help']);
    await runCli(top.io);
    expect(top.stdout()).toMatch(/doctor +Check this host/);
  });

  it('writes the JUnit report before the verdict, so the verdict printed is the exit code (a write that fails says exit 1)', async () => {
    await withDir(
      async ({ path: dir }) => {
        const s = healthyScenario();
        breakers.kvmMissing(s);
        // The target passes the early check, then becomes a directory before the write: a late failure.
        const target = path.join(dir, 'late.xml');
        const captured = fakeIo(['--junit', target], SETUP_ENV, { cwd: dir });
        const run = runDoctorCommand(captured.io, ['--junit', target], {
          host: s.host,
          clock: FIXED_CLOCK,
          gatherFacts: async () => {
            await mkdir(target);
            return FIXED_FACTS;
          },
        });
        expect(await run).toBe(1);
        expect(captured.stdout()).toMatch(/1 fatal, 0 warning\(s\); exit 1: the JUnit report was not written \(the checks above stand\)\n$/);
        expect(captured.stderr()).toMatch(/^octolab-verify doctor: cannot write .*late\.xml: EISDIR \(is a directory\)/);
        expect(captured.stderr().trim().split('\n')).toHaveLength(1);
      },
      { unsafeCleanup: true },
    );
  });

  it('prints only what failed with --quiet, and nothing on a healthy host', async () => {
    const s = healthyScenario();
    breakers.kvmMissing(s);
    const { code, stdout } = await doctor(s, ['--quiet']);
    expect(code).toBe(2);
    expect(stdout).not.toContain('host:');
    expect(stdout).not.toMatch(/^ {2}OK /m);
    expect(stdout).toMatch(/^ {2}FAIL {2}kvm/m);
    expect(stdout).toContain('exit 2: a fatal check failed');
    expect((await doctor(healthyScenario(), ['--quiet'])).stdout).toBe('');
  });

  it('fails with a configuration error (exit 78) naming the variable and value, before any check runs', async () => {
    await withDir(
      async ({ path: dir }) => {
        const captured = fakeIo(['doctor'], { OCTOLAB_MICROVM_VCPU_COUNT: 'two', PATH: process.env.PATH ?? '' }, { cwd: dir });
        expect(await runCli(captured.io)).toBe(78);
        expect(captured.stderr()).toContain('OCTOLAB_MICROVM_VCPU_COUNT="two"');
        expect(captured.stdout()).toBe('');
      },
      { unsafeCleanup: true },
    );
  });
});
