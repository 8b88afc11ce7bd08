import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { breakers, healthyScenario, makeWsl, type DoctorScenario } from '../../../fixtures/doctor-hosts.ts';
import { runVerifyCommand } from '../../../lib/cli/commands/verify.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { renderVerifySummary } from '../../../lib/verify/render-summary.ts';
import { runVerify, type VerifyOutcome } from '../../../lib/verify/run-verify.ts';
import type { SuiteProcessResult, SuiteRunner } from '../../../lib/verify/suite-run.ts';
import { FIXED_CLOCK, FIXED_FACTS } from '../doctor/doctor-support.ts';

const PASSING = `<?xml version="1.0"?>
<testsuites><testsuite name="host">
  <testcase classname="host: suites/host/netd/daemon.test.ts" name="netd &gt; allocates" time="0.1"/>
  <testcase classname="host: suites/host/boot/real-boot.test.ts" name="boot > boots" time="0"><skipped message="needs a real Firecracker boot: doctor firecracker: not found"/></testcase>
</testsuite></testsuites>`;

const FAILING = `<?xml version="1.0"?>
<testsuites><testsuite name="host">
  <testcase classname="host: suites/host/netd/daemon.test.ts" name="netd > allocates" time="0.1"><failure message="expected 0 links, got 2">stack</failure></testcase>
</testsuite></testsuites>`;

/** A suite runner that records its calls and writes `xml` (or nothing) as junit-host.xml. */
function fakeRunner(xml: string | null, result: Partial<SuiteProcessResult> = {}) {
  const calls: Array<Parameters<SuiteRunner>[0]> = [];
  const runner: SuiteRunner = async (options) => {
    calls.push(options);
    if (xml !== null) await fs.writeFile(path.join(options.env.OCTOLAB_REPORTS_DIR!, 'junit-host.xml'), xml);
    return { command: 'vitest run --project host', exitCode: 0, signal: null, ...result };
  };
  return { runner, calls };
}

async function verify(s: DoctorScenario, dir: string, runner: SuiteRunner, options: { suites?: boolean; strict?: boolean } = {}) {
  let text = '';
  const outcome = await runVerify({
    host: s.host,
    config: s.config,
    strict: options.strict ?? false,
    suites: options.suites ?? true,
    reportsDir: dir,
    packageRoot: '/pkg',
    runner,
    env: { OCTOLAB_VERIFY_REQUIRE: 'net' },
    write: (t) => (text += t),
    color: false,
    clock: FIXED_CLOCK,
    gatherFacts: async () => ({ ...FIXED_FACTS }),
  });
  return { outcome, text, summary: renderVerifySummary({ ...outcome, rerun: 'pnpm verify' }) };
}

const inTmp = (fn: (dir: string) => Promise<void>) => withDir(({ path: dir }) => fn(dir), { unsafeCleanup: true });

describe('the main job (runVerify)', () => {
  it('on a ready host whose suites pass: exit 0, the doctor reports written, the suites run from the package root', () =>
    inTmp(async (dir) => {
      const { runner, calls } = fakeRunner(PASSING);
      const { outcome, text, summary } = await verify(healthyScenario(), dir, runner);
      expect(outcome.exitCode).toBe(0);
      expect(text).toContain('OctoLab microVM doctor');
      const json = JSON.parse(await fs.readFile(path.join(dir, 'doctor.json'), 'utf8'));
      expect(json).toMatchObject({ ok: true, exit_code: 0 });
      expect(await fs.readFile(path.join(dir, 'junit-doctor.xml'), 'utf8')).toMatch(/<testcase[^>]*name="kvm: /);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ cwd: '/pkg', env: { OCTOLAB_VERIFY_REQUIRE: 'net', OCTOLAB_REPORTS_DIR: dir } });
      expect(summary).toContain('host suites: 1 passed, 0 failed, 1 skipped');
      expect(summary).toContain('SKIP host: suites/host/boot/real-boot.test.ts > boot > boots: needs a real Firecracker boot: doctor firecracker: not found');
      expect(summary).toContain('verdict: this host is ready');
      expect(summary.trimEnd().endsWith('exit 0')).toBe(true);
    }));

  it('still runs the suites when a fatal check failed, exits 2 and names the check; its fix is printed once, by the doctor, not again in the summary', () =>
    inTmp(async (dir) => {
      const s = healthyScenario();
      breakers.firecrackerMissing(s);
      const { runner, calls } = fakeRunner(PASSING);
      const { outcome, summary, text } = await verify(s, dir, runner);
      expect(calls).toHaveLength(1);
      expect(outcome.exitCode).toBe(2);
      expect(summary).toMatch(/doctor: 1 fatal \(firecracker\), 0 warning\(s\); fixes above;/);
      expect(summary).not.toContain('fix:');
      expect(summary).not.toContain('firecracker binary not found');
      expect(text.match(/fix: Install Firecracker v1\.7\.0/g)).toHaveLength(1);
      expect(summary).toContain("cannot run OctoLab labs in Firecracker microVMs yet");
    }));

  it('exits 1 when a host suite failed, even with a fatal doctor check, and lists the failure', () =>
    inTmp(async (dir) => {
      const s = healthyScenario();
      breakers.kernelUnset(s);
      const { outcome, summary } = await verify(s, dir, fakeRunner(FAILING, { exitCode: 1 }).runner);
      expect(outcome.exitCode).toBe(1);
      expect(summary).toContain('host suites: 0 passed, 1 failed, 0 skipped');
      expect(summary).toContain('FAIL host: suites/host/netd/daemon.test.ts > netd > allocates: expected 0 links, got 2');
      expect(summary).toContain('verdict: a host suite failed');
    }));

  it('counts a suite run that wrote no report as failed, and never reads an earlier run\'s report', () =>
    inTmp(async (dir) => {
      await fs.writeFile(path.join(dir, 'junit-host.xml'), PASSING);
      const { outcome, summary } = await verify(healthyScenario(), dir, fakeRunner(null, { exitCode: 1 }).runner);
      expect(outcome.exitCode).toBe(1);
      expect(outcome.suites?.cases).toBeNull();
      expect(summary).toMatch(/host suites: FAILED: `vitest run --project host` exited with 1 without writing .*junit-host\.xml/);
    }));

  it('fails when the suites exit non-zero although their report shows no failure (e.g. a crashed worker)', () =>
    inTmp(async (dir) => {
      const { outcome, summary } = await verify(healthyScenario(), dir, fakeRunner(PASSING, { exitCode: 1 }).runner);
      expect(outcome.exitCode).toBe(1);
      expect(summary).toContain('exited with 1: see the output above');
    }));

  it('--no-suites runs the doctor only', () =>
    inTmp(async (dir) => {
      const { runner, calls } = fakeRunner(PASSING);
      const { outcome, summary } = await verify(healthyScenario(), dir, runner, { suites: false });
      expect(calls).toHaveLength(0);
      expect(outcome).toMatchObject<Partial<VerifyOutcome>>({ suites: null, exitCode: 0 });
      expect(summary).toContain('host suites: not run (--no-suites)');
    }));

  it('--strict turns a doctor warning into exit 3 and names it', () =>
    inTmp(async (dir) => {
      const { outcome, summary } = await verify(makeWsl(healthyScenario()), dir, fakeRunner(PASSING).runner, { strict: true });
      expect(outcome.exitCode).toBe(3);
      expect(summary).toMatch(/doctor: no fatal check failed, 1 warning\(s\) \(jailer\)/);
      expect(summary).toContain('verdict: --strict and a check warned');
    }));
});

function fakeIo(args: string[], cwd: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const io: CliIo = { argv: args, env: {}, stdout: out, stderr: err, cwd };
  return { io, stdout: () => stdout, stderr: () => stderr };
}

describe('octolab-verify verify (the command)', () => {
  it('refuses to run the host suites as a non-root user, says how to, and writes nothing', () =>
    inTmp(async (dir) => {
      const s = healthyScenario();
      s.host.euid = 1000;
      const { runner, calls } = fakeRunner(PASSING);
      const cli = fakeIo(['--reports', 'out'], dir);
      const code = await runVerifyCommand(cli.io, ['--reports', 'out'], { host: s.host, runner, packageRoot: dir });
      expect(code).toBe(1);
      expect(cli.stderr()).toContain('  sudo pnpm verify\n');
      expect(cli.stderr()).toContain('  sudo env "PATH=$PATH" pnpm verify\n');
      expect(cli.stderr()).toContain('pnpm verify --no-suites');
      expect(calls).toHaveLength(0);
      await expect(fs.readdir(path.join(dir, 'out'))).rejects.toMatchObject({ code: 'ENOENT' });
    }));

  it('runs the doctor alone as a non-root user with --no-suites, reports under --reports relative to the cwd', () =>
    inTmp(async (dir) => {
      const s = healthyScenario();
      s.host.euid = 1000;
      const { runner, calls } = fakeRunner(PASSING);
      const cli = fakeIo([], dir);
      const code = await runVerifyCommand(cli.io, ['--no-suites', '--reports', 'out'], { host: s.host, runner, packageRoot: '/elsewhere', clock: FIXED_CLOCK, gatherFacts: async () => ({ ...FIXED_FACTS }) });
      const json = JSON.parse(await fs.readFile(path.join(dir, 'out', 'doctor.json'), 'utf8'));
      expect(code).toBe(json.exit_code);
      expect(calls).toHaveLength(0);
      expect(cli.stdout()).toContain('== octolab-verify summary ==');
      expect(cli.stdout()).toContain(`exit ${code}\n`);
    }));

  it('as root runs the suites with the reports directory and, with a fatal check, exits 2 advising `sudo pnpm verify` under sudo', () =>
    inTmp(async (dir) => {
      const s = healthyScenario();
      s.host.euid = 0;
      const { runner, calls } = fakeRunner(PASSING);
      const cli = fakeIo([], dir);
      cli.io = { ...cli.io, env: { SUDO_UID: '1000' } };
      // No kernel or rootfs in this environment: the doctor's kernel check is fatal.
      const code = await runVerifyCommand(cli.io, ['--reports', 'out'], { host: s.host, runner, packageRoot: '/pkg', clock: FIXED_CLOCK, gatherFacts: async () => ({ ...FIXED_FACTS }) });
      expect(code).toBe(2);
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ cwd: '/pkg', env: { OCTOLAB_REPORTS_DIR: path.join(dir, 'out') } });
      expect(cli.stdout()).toMatch(/^ {2}FAIL {2}kernel /m);
      expect(cli.stdout()).toMatch(/doctor: 2 fatal \(kernel, rootfs\)/);
      expect(cli.stdout()).toContain('then re-run `sudo pnpm verify`');
      const plain = fakeIo([], dir);
      await runVerifyCommand(plain.io, ['--reports', 'out'], { host: s.host, runner, packageRoot: '/pkg', clock: FIXED_CLOCK, gatherFacts: async () => ({ ...FIXED_FACTS }) });
      expect(plain.stdout()).toContain('then re-run `pnpm verify`');
    }));

  it('refuses an unusable --reports before the doctor runs, in one line (exit 64): a file, a path under a file, /proc', () =>
    inTmp(async (dir) => {
      await fs.writeFile(path.join(dir, 'file'), 'x');
      for (const reports of [path.join(dir, 'file'), path.join(dir, 'file/sub'), '/proc/octolab-verify-test']) {
        const cli = fakeIo([], dir);
        const error = await runVerifyCommand(cli.io, ['--no-suites', '--reports', reports], { host: healthyScenario().host }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'USAGE' });
        expect((error as Error).message.split('\n')[0]).toContain(`--reports ${reports}: `);
        expect(cli.stdout()).toBe('');
      }
    }));

  it('refuses an OCTOLAB_VERIFY_REQUIRE the host suites would refuse, before anything runs (exit 78)', async () => {
    const cli = fakeIo([], '/');
    cli.io = { ...cli.io, env: { OCTOLAB_VERIFY_REQUIRE: 'everything' } };
    await expect(runVerifyCommand(cli.io, ['--no-suites'], { host: healthyScenario().host })).rejects.toMatchObject({ code: 'CONFIG_INVALID', summary: expect.stringContaining('unknown capabilities: everything') });
  });

  it('rejects an unknown option with the usage', async () => {
    const cli = fakeIo([], '/');
    await expect(runVerifyCommand(cli.io, ['--bogus'], { host: healthyScenario().host })).rejects.toMatchObject({ code: 'USAGE' });
  });
});
