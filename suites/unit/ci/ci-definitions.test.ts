import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { logsOfBootResult } from '../../../ci/collect-boot-logs.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const WORKFLOW = path.join(ROOT, 'ci/github/workflows/microvm-verify.yml');
const GITLAB = path.join(ROOT, 'ci/gitlab/microvm-verify.gitlab-ci.yml');
const VALIDATOR = path.join(ROOT, 'node_modules/.bin/action-validator');

type Step = { name?: string; if?: string; run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> };

async function workflow(): Promise<{ on: Record<string, unknown>; jobs: Record<string, { 'runs-on': string; env: Record<string, string>; steps: Step[] }> }> {
  return parse(await fs.readFile(WORKFLOW, 'utf8'));
}

function stepNamed(steps: Step[], pattern: RegExp): Step {
  const step = steps.find((s) => pattern.test(s.name ?? ''));
  if (!step) throw new Error(`no step matching ${pattern} (steps: ${steps.map((s) => s.name).join(' | ')})`);
  return step;
}

describe('the GitHub Actions workflow', () => {
  it('passes action-validator', { timeout: 60_000 }, async () => {
    const result = await execa(VALIDATOR, [WORKFLOW], { reject: false });
    expect(result.stderr + result.stdout).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('is rejected by the same validator when broken, so the check above can fail', { timeout: 60_000 }, async () => {
    await withDir(
      async ({ path: dir }) => {
        const broken = path.join(dir, 'broken.yml');
        const text = (await fs.readFile(WORKFLOW, 'utf8')).replace('runs-on:', 'runs_on:');
        await fs.writeFile(broken, text);
        const result = await execa(VALIDATOR, [broken], { reject: false });
        expect(result.exitCode).not.toBe(0);
      },
      { unsafeCleanup: true },
    );
  });

  it('runs on configurable self-hosted KVM labels with the require switch on by default', async () => {
    const { on, jobs } = await workflow();
    const job = Object.values(jobs)[0]!;
    expect(job['runs-on']).toBe(`\${{ fromJSON(inputs.runner_labels || vars.OCTOLAB_RUNNER_LABELS || '["self-hosted","linux","x64","kvm"]') }}`);
    expect(job.env.OCTOLAB_VERIFY_REQUIRE).toBe("${{ inputs.require || vars.OCTOLAB_VERIFY_REQUIRE || 'all' }}");
    expect(Object.keys((on.workflow_dispatch as { inputs: object }).inputs)).toEqual(['runner_labels', 'require', 'run_setup']);
  });

  it('installs with the pinned pnpm and a frozen lockfile, then runs the doctor before the host suites', async () => {
    const steps = Object.values((await workflow()).jobs)[0]!.steps;
    expect(stepNamed(steps, /^Install pnpm/).run).toMatch(/npm i -g pnpm@10\.34\.9\n\s*pnpm install --frozen-lockfile/);
    const doctor = stepNamed(steps, /^Doctor/);
    expect(doctor.run).toContain('doctor --json --junit reports/junit-doctor.xml > reports/doctor.json');
    expect(steps.indexOf(doctor)).toBeLessThan(steps.indexOf(stepNamed(steps, /^Host suites/)));
    expect(stepNamed(steps, /^Host suites/).run).toBe('ci/as-root.sh pnpm test:host');
  });

  it('always collects boot logs, cleans up, and uploads JUnit, the doctor JSON and the logs — in that order', async () => {
    const steps = Object.values((await workflow()).jobs)[0]!.steps;
    const collect = stepNamed(steps, /^Collect/);
    const cleanup = stepNamed(steps, /^Cleanup/);
    const upload = stepNamed(steps, /^Upload/);
    for (const step of [collect, cleanup, upload]) expect(step.if).toBe('always()');
    expect(cleanup.run).toBe('ci/as-root.sh node bin/octolab-verify.mjs cleanup');
    expect(steps.indexOf(collect)).toBeLessThan(steps.indexOf(cleanup));
    expect(upload.uses).toBe('actions/upload-artifact@v4');
    expect(String(upload.with?.path).split('\n').filter(Boolean)).toEqual(['reports/junit-*.xml', 'reports/doctor.json', 'reports/boot.json', 'reports/failed-boots/']);
  });

  it('refers only to scripts that exist in the repository and are executable', async () => {
    const steps = Object.values((await workflow()).jobs)[0]!.steps;
    const scripts = new Set(steps.flatMap((s) => [...(s.run ?? '').matchAll(/\b(ci\/[\w/.-]+)/g)].map((m) => m[1]!)));
    expect([...scripts].sort()).toEqual(['ci/as-root.sh', 'ci/collect-boot-logs.ts', 'ci/junit-summary.ts', 'ci/runner/check-nested-virt.sh']);
    for (const script of scripts) {
      const stat = await fs.stat(path.join(ROOT, script));
      if (script.endsWith('.sh')) expect(stat.mode & 0o111).not.toBe(0);
    }
  });
});

describe('the GitLab CI job', () => {
  async function gitlab(): Promise<Record<string, any>> {
    return parse(await fs.readFile(GITLAB, 'utf8'));
  }

  it('has one job on the KVM runner tag with the require switch on', async () => {
    const file = await gitlab();
    const job = file['microvm-verify'];
    expect(job.stage).toBe('verify');
    expect(file.stages).toEqual(['verify']);
    expect(job.tags).toEqual(['$OCTOLAB_RUNNER_TAG']);
    expect(file.variables).toMatchObject({ OCTOLAB_RUNNER_TAG: 'kvm', OCTOLAB_VERIFY_REQUIRE: 'all' });
  });

  it('installs, runs the doctor with JUnit and JSON, the unit and host suites, and fails when one failed', async () => {
    const job = (await gitlab())['microvm-verify'];
    expect(job.before_script).toEqual(expect.arrayContaining(['npm i -g pnpm@10.34.9', 'pnpm install --frozen-lockfile']));
    const script = (job.script as string[]).join('\n');
    expect(script).toContain('doctor --json --junit reports/junit-doctor.xml > reports/doctor.json');
    expect(script).toContain('ci/as-root.sh pnpm test:host');
    expect(script).toMatch(/test "\$doctor_rc" -eq 0 && test "\$unit_rc" -eq 0 && test "\$host_rc" -eq 0 && test "\$boot_rc" -eq 0\s*$/);
  });

  it('always collects logs and cleans up in after_script, and publishes artifacts:reports:junit when: always', async () => {
    const job = (await gitlab())['microvm-verify'];
    const after = (job.after_script as string[]).join('\n');
    expect(after.indexOf('collect-boot-logs.ts')).toBeLessThan(after.indexOf('octolab-verify.mjs cleanup'));
    expect(job.artifacts.when).toBe('always');
    expect(job.artifacts.reports.junit).toEqual(['reports/junit-*.xml']);
    expect(job.artifacts.paths).toEqual(['reports/junit-*.xml', 'reports/doctor.json', 'reports/boot.json', 'reports/failed-boots/']);
  });
});

describe('collecting the logs of failed boots', () => {
  it('writes the serial, firecracker.log and stderr tails of a failed boot, and a summary', () => {
    const logs = logsOfBootResult(
      JSON.stringify({ ok: false, lab_id: 'abc', failed_stage: 'serial-marker', error: { summary: 'marker not seen' }, hint: 'check the kernel', serial_tail: 'Linux version 5.10\n', log_tail: 'vmm log\n', stderr_tail: '' }),
      'reports/boot.json',
    );
    expect(logs.map((l) => l.name)).toEqual(['boot-abc/summary.txt', 'boot-abc/serial.log', 'boot-abc/firecracker.log']);
    expect(logs[0]!.text).toContain('failed stage: serial-marker');
  });

  it('collects nothing from a passing boot, and keeps unparsable output for a look', () => {
    expect(logsOfBootResult(JSON.stringify({ ok: true, lab_id: 'abc' }), 'boot.json')).toEqual([]);
    expect(logsOfBootResult('Error: boom', '../x/boot.json')).toEqual([{ name: 'boot.json.unparsable.txt', text: 'Error: boom' }]);
  });
});
