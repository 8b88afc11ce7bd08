/** `verify --json` and reports/verify.json: the verdict, the doctor's summary, each suite's counts, the stage timeline. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { breakers, healthyScenario, type DoctorScenario } from '../../../fixtures/doctor-hosts.ts';
import { runVerifyCommand } from '../../../lib/cli/commands/verify.ts';
import type { DoctorClock } from '../../../lib/doctor/run-doctor.ts';
import type { SuiteRunner } from '../../../lib/verify/suite-run.ts';
import type { VerifyJson } from '../../../lib/verify/verify-json.ts';
import { TOOL_VERSION } from '../../../lib/version.ts';
import { captureIo } from '../../support/captured-io.ts';
import { FIXED_FACTS } from '../doctor/doctor-support.ts';
import { SETUP_ENV } from '../doctor/outputs/support.ts';

const JUNIT = `<?xml version="1.0"?>
<testsuites><testsuite name="host">
  <testcase classname="host: suites/host/netd/daemon.test.ts" name="netd &gt; allocates" time="0.1"/>
  <testcase classname="host: suites/host/netd/daemon.test.ts" name="netd &gt; releases" time="0.1"><failure message="expected 0 links, got 2">stack</failure></testcase>
  <testcase classname="host: suites/host/boot/real-boot.test.ts" name="boot &gt; boots" time="0"><skipped message="needs a real Firecracker boot: firecracker not found"/></testcase>
</testsuite></testsuites>`;

/** A clock that moves 10 ms on every reading, so each phase gets a start and a duration. */
function steppingClock(): DoctorClock {
  let now = 0;
  return { now: () => (now += 10), isoNow: () => '2024-05-01T12:00:00.000Z' };
}

async function verifyJson(s: DoctorScenario, args: string[], dir: string, runner?: SuiteRunner) {
  const calls: Array<Parameters<SuiteRunner>[0]> = [];
  const recording: SuiteRunner = async (options) => {
    calls.push(options);
    return runner ? runner(options) : { command: 'vitest run --project host', exitCode: 0, signal: null };
  };
  const captured = captureIo({ argv: args, env: SETUP_ENV, cwd: dir });
  const code = await runVerifyCommand(captured.io, args, {
    host: s.host,
    runner: recording,
    packageRoot: dir,
    clock: steppingClock(),
    gatherFacts: async () => ({ ...FIXED_FACTS }),
  });
  return { code, stdout: captured.stdout(), stderr: captured.stderr(), calls };
}

const inTmp = (fn: (dir: string) => Promise<void>) => withDir(({ path: dir }) => fn(dir), { unsafeCleanup: true });

describe('verify --json', () => {
  it('prints only JSON on stdout (the doctor and the summary go to stderr), the same JSON as reports/verify.json', () =>
    inTmp(async (dir) => {
      const s = healthyScenario();
      s.host.euid = 1000;
      breakers.kvmMissing(s);
      const run = await verifyJson(s, ['--json', '--no-suites', '--reports', 'out'], dir);
      const json = JSON.parse(run.stdout) as VerifyJson;
      expect(run.stdout).toBe(await fs.readFile(path.join(dir, 'out', 'verify.json'), 'utf8'));
      expect(run.stderr).toContain('OctoLab microVM doctor');
      expect(run.stderr).toContain('== octolab-verify summary ==');
      expect(run.code).toBe(2);
      expect(json).toMatchObject({
        tool: { name: 'octolab-verify', version: TOOL_VERSION },
        ok: false,
        exit_code: 2,
        verdict: 'not-ready',
        generated_at: '2024-05-01T12:00:00.000Z',
        reports_dir: path.join(dir, 'out'),
        doctor: { ok: false, summary: 'Firecracker unavailable: kvm check(s) failed', fatal_count: 1, exit_code: 2, files: [path.join(dir, 'out', 'doctor.json'), path.join(dir, 'out', 'junit-doctor.xml')] },
        suites: null,
      });
      expect(json.doctor.findings).toEqual([expect.objectContaining({ name: 'kvm', severity: 'fatal', details: '/dev/kvm not found' })]);
      expect(json.stages.map((stage) => [stage.name, stage.status])).toEqual([
        ['doctor', 'failed'],
        ['reports', 'passed'],
        ['host-suites', 'not-run'],
      ]);
      expect(json.stages[2]).toMatchObject({ start_ms: null, duration_ms: 0 });
    }));

  it('gives each suite its counts, every failure and skip, and the host suites their place on the timeline', () =>
    inTmp(async (dir) => {
      const s = healthyScenario();
      s.host.euid = 0;
      const runner: SuiteRunner = async ({ env }) => {
        await fs.writeFile(path.join(env.OCTOLAB_REPORTS_DIR!, 'junit-host.xml'), JUNIT);
        return { command: 'vitest run --project host', exitCode: 1, signal: null };
      };
      const run = await verifyJson(s, ['--json', '--reports', 'out'], dir, runner);
      expect(run.calls).toEqual([expect.objectContaining({ stdoutToStderr: true })]);
      const json = JSON.parse(run.stdout) as VerifyJson;
      expect(run.code).toBe(1);
      expect(json.verdict).toBe('suites-failed');
      expect(json.suites).toMatchObject({ exit_code: 1, reported: true, ok: false, passed: 1, failed: 1, skipped: 1 });
      expect(json.suites!.suites).toEqual([
        { name: 'host: suites/host/netd/daemon.test.ts', passed: 1, failed: 1, skipped: 0 },
        { name: 'host: suites/host/boot/real-boot.test.ts', passed: 0, failed: 0, skipped: 1 },
      ]);
      expect(json.suites!.failures).toEqual([{ suite: 'host: suites/host/netd/daemon.test.ts', name: 'netd > releases', message: 'expected 0 links, got 2' }]);
      expect(json.suites!.skips).toEqual([{ suite: 'host: suites/host/boot/real-boot.test.ts', name: 'boot > boots', reason: 'needs a real Firecracker boot: firecracker not found' }]);
      // Each phase starts after the one before it ended, on the run's own time axis.
      const stages = json.stages;
      expect(stages.map((stage) => [stage.name, stage.status])).toEqual([
        ['doctor', 'passed'],
        ['reports', 'passed'],
        ['host-suites', 'failed'],
      ]);
      for (let i = 1; i < stages.length; i++) expect(stages[i]!.start_ms!).toBeGreaterThanOrEqual(stages[i - 1]!.start_ms! + stages[i - 1]!.duration_ms);
      expect(json.total_ms).toBeGreaterThanOrEqual(stages[2]!.start_ms! + stages[2]!.duration_ms);
      expect(JSON.stringify(json)).not.toMatch(/"[a-z]+[A-Z]\w*":/);
    }));

  it('without --json still writes reports/verify.json and keeps the text on stdout', () =>
    inTmp(async (dir) => {
      const s = healthyScenario();
      s.host.euid = 1000;
      const run = await verifyJson(s, ['--no-suites', '--reports', 'out'], dir);
      expect(run.stdout).toContain('== octolab-verify summary ==');
      const json = JSON.parse(await fs.readFile(path.join(dir, 'out', 'verify.json'), 'utf8')) as VerifyJson;
      expect(json).toMatchObject({ exit_code: run.code, suites: null });
    }));
});
