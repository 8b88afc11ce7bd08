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

  it('reads the env file given with --env-file (through the host) and records where values came from', async () => {
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

  it('rejects an unknown option with the usage text (exit 64 through the CLI)', async () => {
    const captured = fakeIo(['doctor', '--jsno']);
    expect(await runCli(captured.io)).toBe(64);
    expect(captured.stderr()).toMatch(/Unknown option '--jsno'[\s\S]*usage: octolab-verify doctor \[--json\] \[--junit FILE\] \[--strict\] \[--env-file PATH\]/);
  });

  it.each(['doctr', 'constructor', 'toString', '__proto__'])('the CLI refuses the unknown command %j with the command list (exit 64)', async (name) => {
    const captured = fakeIo([name]);
    expect(await runCli(captured.io)).toBe(64);
    expect(captured.stderr()).toContain(`octolab-verify: unknown command ${JSON.stringify(name)}`);
    expect(captured.stderr()).toMatch(/commands:[\s\S]*doctor +Check this host/);
  });

  it('is registered in the CLI and documents its options and exit codes in --help', async () => {
    const captured = fakeIo(['doctor', '--help']);
    expect(await runCli(captured.io)).toBe(0);
    expect(captured.stdout()).toContain('--strict         a warning fails the run too (exit 3)');
    expect(captured.stdout()).toMatch(/exit codes: 0 no fatal check failed, 2 a fatal check failed, 3 --strict and a check warned/);
    const top = fakeIo(['--help']);
    await runCli(top.io);
    expect(top.stdout()).toMatch(/doctor +Check this host/);
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
