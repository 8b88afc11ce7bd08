/**
 * Which exit code a doctor run returns when several formats are asked at once: the format on
 * stdout decides (nagios: its states; npd: 0/1; anything else, or only files: the doctor's
 * own 0/2/3), and a plugin format answers UNKNOWN (3) when the doctor cannot run at all.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { breakers, healthyScenario, makeWsl, PATHS, type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import { UsageError } from '../../../../lib/errors.ts';
import { runDoctorOn } from './support.ts';

const scenarios: Record<string, () => DoctorScenario> = {
  healthy: () => healthyScenario(),
  warnings: () => {
    const s = makeWsl(healthyScenario());
    breakers.vsockMissing(s);
    return s;
  },
  'jailer warning': () => {
    const s = healthyScenario();
    s.host.withCommand([PATHS.jailer, '--version'], { exitCode: 1 });
    return s;
  },
  'kvm missing': () => {
    const s = healthyScenario();
    breakers.kvmMissing(s);
    return s;
  },
};

describe('exit codes by the format on stdout', () => {
  it.each([
    ['healthy', ['--format', 'nagios'], 0, /^OCTOLAB OK - ready: 9 of 9 checks passed \| checks=9;;;0 /],
    ['warnings', ['--format', 'nagios'], 1, /^OCTOLAB WARNING - ready with 2 warning\(s\): jailer, vsock warned \| /],
    ['kvm missing', ['--format', 'nagios'], 2, /^OCTOLAB CRITICAL - not ready: kvm: \/dev\/kvm not found \| /],
    ['jailer warning', ['--format', 'nagios', '--strict'], 1, /^OCTOLAB WARNING - /],
    ['healthy', ['--format', 'npd'], 0, /^ready: 9 of 9 checks passed\n$/],
    ['warnings', ['--format', 'npd'], 0, /^ready: 7 of 9 checks passed, 2 warning\(s\)\n$/],
    ['jailer warning', ['--format', 'npd', '--strict'], 1, /^not ready: jailer warned \(--strict\): jailer: /],
    ['kvm missing', ['--format', 'npd'], 1, /^not ready: kvm failed: kvm: \/dev\/kvm not found\n$/],
    ['kvm missing', ['--format', 'tap'], 2, /^TAP version 14\n1\.\.9\nnot ok 1 - kvm: KVM device usable\n/],
    ['jailer warning', ['--format', 'text', '--strict'], 3, /OctoLab microVM doctor/],
  ])('%s, %j → exit %i', async (scenario, args, code, stdout) => {
    const run = await runDoctorOn(scenarios[scenario]!(), args);
    expect(run.stdout).toMatch(stdout);
    expect(run.code).toBe(code);
  });

  it.each([
    // Nagios into a file, JSON on stdout: whoever reads stdout gets the doctor's code (0 with warnings).
    ['warnings', ['--format', 'json', '--format', 'nagios:n.txt'], 0, ['n.txt']],
    // Nagios on stdout, JSON into a file: the Nagios state (1 WARNING).
    ['warnings', ['--format', 'nagios', '--format', 'json:d.json'], 1, ['d.json']],
    // Files only: the doctor's code (2: a fatal check failed), and nothing on stdout.
    ['kvm missing', ['--format', 'prometheus:o.prom', '--format', 'npd:n.txt'], 2, ['o.prom', 'n.txt']],
    ['kvm missing', ['--format', 'npd', '--junit', 'j.xml'], 1, ['j.xml']],
  ])('%s, %j → exit %i, and every file is written', async (scenario, args, code, files) => {
    await withDir(
      async ({ path: dir }) => {
        const run = await runDoctorOn(scenarios[scenario]!(), args, { cwd: dir });
        expect(run.code).toBe(code);
        for (const file of files) {
          expect(run.stderr).toContain(`report written to ${path.join(dir, file)}`);
          expect((await readFile(path.join(dir, file), 'utf8')).length).toBeGreaterThan(0);
        }
        const onStdout = args.some((a, i) => args[i - 1] === '--format' && !a.includes(':'));
        expect(run.stdout === '').toBe(!onStdout);
      },
      { unsafeCleanup: true },
    );
  });
});

describe('a plugin format when the doctor cannot run', () => {
  it('nagios answers UNKNOWN (exit 3) with one status line, the error\'s one line on stderr', async () => {
    const run = await runDoctorOn(healthyScenario(), ['--format', 'nagios', '--bogus']);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/^OCTOLAB UNKNOWN - the doctor could not run: unknown option --bogus\n$/);
    expect(run.stderr).toBe('octolab-verify doctor: unknown option --bogus; see `octolab-verify doctor --help`\n');
  });

  it('nagios answers UNKNOWN for a configuration it cannot read', async () => {
    const run = await runDoctorOn(healthyScenario(), ['--format', 'nagios', '--env-file', '/nowhere/octolab.env']);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/^OCTOLAB UNKNOWN - the doctor could not run: .*\/nowhere\/octolab\.env/);
  });

  it('npd answers with a message and exit 3, which node-problem-detector reads as unknown', async () => {
    const run = await runDoctorOn(healthyScenario(), ['--format', 'npd', '--format', 'text']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('unknown: the doctor could not run: only one format can go to stdout, got npd and text: send the others to files (e.g. --format text:FILE)\n');
  });

  it('any other format leaves the error to the CLI (usage error, exit 64)', async () => {
    await expect(runDoctorOn(healthyScenario(), ['--format', 'tap', '--bogus'])).rejects.toBeInstanceOf(UsageError);
  });
});
