import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { logsOfBootResult } from '../../../ci/collect-boot-logs.ts';
import { parseRequired } from '../../support/capabilities.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const WORKFLOW = path.join(ROOT, 'ci/github/workflows/microvm-verify.yml');
const GITLAB = path.join(ROOT, 'ci/gitlab/microvm-verify.gitlab-ci.yml');
const VALIDATOR = path.join(ROOT, 'node_modules/.bin/action-validator');

type Step = { name?: string; if?: string; run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> };

type Job = { name?: string; if?: string; needs?: string[]; 'runs-on': unknown; strategy?: { 'fail-fast'?: boolean; matrix: Record<string, string> }; env?: Record<string, string>; steps: Step[] };

async function workflow(): Promise<{ on: Record<string, unknown>; jobs: Record<string, Job> }> {
  return parse(await fs.readFile(WORKFLOW, 'utf8'));
}

function stepNamed(steps: Step[], pattern: RegExp): Step {
  const step = steps.find((s) => pattern.test(s.name ?? ''));
  if (!step) throw new Error(`no step matching ${pattern} (steps: ${steps.map((s) => s.name).join(' | ')})`);
  return step;
}

/** Runs a step's shell script with bash in `cwd`, with GitHub's output files pointed into it. */
async function runStep(script: string, cwd: string, env: Record<string, string> = {}) {
  const summary = path.join(cwd, 'step-summary.md');
  const output = path.join(cwd, 'step-output.txt');
  const result = await execa('bash', ['-e', '-c', script], { cwd, reject: false, env: { PATH: process.env.PATH, GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output, NO_COLOR: '1', ...env }, extendEnv: false });
  const read = (file: string) => fs.readFile(file, 'utf8').catch(() => '');
  return { ...result, summary: await read(summary), output: await read(output) };
}

/** A working directory holding this checkout's launcher and the recorded fleet laid out as `dirs` name them. */
async function withFleet(dirs: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  await withDir(
    async ({ path: dir }) => {
      await fs.symlink(path.join(ROOT, 'bin'), path.join(dir, 'bin'));
      await fs.mkdir(path.join(dir, 'reports'));
      for (const [target, host] of Object.entries(dirs)) await fs.cp(path.join(ROOT, 'fixtures/fleet', host), path.join(dir, target), { recursive: true });
      await fn(dir);
    },
    { unsafeCleanup: true },
  );
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

  it('runs the host job as a matrix over runner label sets, one set by default, with the require switch on', async () => {
    const { on, jobs } = await workflow();
    const job = jobs['kvm-host-suites']!;
    expect(job.strategy).toEqual({
      'fail-fast': false,
      matrix: { runner: `\${{ fromJSON(inputs.runner_matrix || vars.OCTOLAB_RUNNER_MATRIX || format('[{0}]', inputs.runner_labels || vars.OCTOLAB_RUNNER_LABELS || '["self-hosted","linux","x64","kvm"]')) }}` },
    });
    expect(job['runs-on']).toBe('${{ matrix.runner }}');
    expect(job.env!.OCTOLAB_VERIFY_REQUIRE).toBe("${{ inputs.require || vars.OCTOLAB_VERIFY_REQUIRE || 'all' }}");
    expect(Object.keys((on.workflow_dispatch as { inputs: object }).inputs)).toEqual(['runner_labels', 'runner_matrix', 'require', 'run_setup']);
    // The default, as format() builds it, is a JSON array holding one label set.
    expect(JSON.parse('[{0}]'.replace('{0}', '["self-hosted","linux","x64","kvm"]'))).toEqual([['self-hosted', 'linux', 'x64', 'kvm']]);
  });

  it.each(['kvm-host-suites', 'hosted-kvm'])('%s: installs with the pinned pnpm and a frozen lockfile, then runs the doctor into files before the host suites', async (name) => {
    const steps = (await workflow()).jobs[name]!.steps;
    expect(stepNamed(steps, /^Install .*pnpm/).run).toMatch(/npm i -g pnpm@10\.34\.9\n\s*pnpm install --frozen-lockfile/);
    const doctor = stepNamed(steps, /^Doctor/);
    expect(doctor.run).toContain('doctor --format json:reports/doctor.json --format junit:reports/junit-doctor.xml --format prometheus:reports/doctor.prom --format text');
    expect(steps.indexOf(doctor)).toBeLessThan(steps.indexOf(stepNamed(steps, /^Host suites/)));
    expect(stepNamed(steps, /^Host suites/).run).toBe('ci/as-root.sh pnpm test:host');
  });

  it('kvm-host-suites: runs the unit, host and soak projects, and its verdict and summary count all three', async () => {
    const steps = (await workflow()).jobs['kvm-host-suites']!.steps;
    const [unit, host, soak] = [/^Unit suites/, /^Host suites/, /^Soak suites/].map((name) => stepNamed(steps, name));
    expect(unit!.run).toBe('pnpm test:unit');
    // As root, the soak's boot chaos also runs `boot --net` through microvm-netd; with the require switch on it must.
    expect(soak!.run).toBe('ci/as-root.sh pnpm test:soak');
    expect(steps.indexOf(host!)).toBeLessThan(steps.indexOf(soak!));
    expect(stepNamed(steps, /^Verdict/).run).toContain('steps.soak.outcome');
    expect(stepNamed(steps, /^Summary/).run).toContain('--expect unit,host,soak,doctor');
  });

  it.each(['kvm-host-suites', 'hosted-kvm'])('%s: always collects boot logs, cleans up, and uploads one artifact per host — in that order', async (name) => {
    const steps = (await workflow()).jobs[name]!.steps;
    const collect = stepNamed(steps, /^Collect/);
    const cleanup = stepNamed(steps, /^Cleanup/);
    const upload = stepNamed(steps, /^Upload/);
    for (const step of [collect, cleanup, upload]) expect(step.if).toBe('always()');
    expect(cleanup.run).toBe('ci/as-root.sh node bin/octolab-verify.cjs cleanup');
    expect(steps.indexOf(collect)).toBeLessThan(steps.indexOf(cleanup));
    expect(steps.indexOf(cleanup)).toBeLessThan(steps.indexOf(upload));
    expect(upload.uses).toBe('actions/upload-artifact@v4');
    expect(String(upload.with?.name)).toMatch(/^microvm-host-.+-a\$\{\{ github\.run_attempt \}\}$/);
    expect(String(upload.with?.path).split('\n').filter(Boolean)).toEqual(['reports/junit-*.xml', 'reports/doctor.json', 'reports/doctor.prom', 'reports/boot.json', 'reports/failed-boots/']);
  });

  it('names each matrix host\'s artifact after its labels, which the fleet report downloads by pattern', async () => {
    const { jobs } = await workflow();
    expect(stepNamed(jobs['kvm-host-suites']!.steps, /^Upload/).with?.name).toBe("microvm-host-${{ join(matrix.runner, '-') }}-a${{ github.run_attempt }}");
    const download = stepNamed(jobs['fleet-report']!.steps, /^Download/);
    expect(download).toMatchObject({ uses: 'actions/download-artifact@v4', with: { pattern: 'microvm-host-*-a${{ github.run_attempt }}', path: 'fleet' } });
    expect(download.with).not.toHaveProperty('merge-multiple');
  });

  it('collects every host\'s reports after all host jobs, whatever they did, and writes the report to the step summary', async () => {
    const job = (await workflow()).jobs['fleet-report']!;
    expect(job.needs).toEqual(['kvm-host-suites', 'hosted-kvm']);
    expect(job.if).toBe('${{ always() }}');
    const write = stepNamed(job.steps, /^Write the fleet report/);
    expect(write.run).toContain('node bin/octolab-verify.cjs report --html reports/fleet.html fleet >> "$GITHUB_STEP_SUMMARY"');
    expect(stepNamed(job.steps, /^Upload/).with).toMatchObject({ path: 'reports/fleet.html' });
  });

  it('its report step, run on artifacts laid out as download-artifact lays them out, writes the Markdown summary and the HTML', { timeout: 60_000 }, async () => {
    const write = stepNamed((await workflow()).jobs['fleet-report']!.steps, /^Write the fleet report/);
    await withFleet({ 'fleet/microvm-host-self-hosted-kvm-intel-a1': 'host-ready', 'fleet/microvm-host-self-hosted-kvm-amd-a1': 'host-boot-failed', 'fleet/microvm-host-github-ubuntu-latest-a1': 'host-no-kvm' }, async (dir) => {
      const run = await runStep(write.run!, dir);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.summary).toMatch(/^# OctoLab fleet report\n\n\*\*3 hosts: 1 not ready, 1 boot failed, 1 ready\*\*/);
      expect(run.summary).toContain('| **microvm-host-github-ubuntu-latest-a1** | ❌ not ready |');
      expect((await fs.stat(path.join(dir, 'reports/fleet.html'))).size).toBeGreaterThan(0);
    });
  });

  it('its report step says so when no host uploaded anything', { timeout: 60_000 }, async () => {
    const write = stepNamed((await workflow()).jobs['fleet-report']!.steps, /^Write the fleet report/);
    await withFleet({}, async (dir) => {
      const run = await runStep(write.run!, dir);
      expect(run.exitCode).toBe(0);
      expect(run.summary).toBe('No host uploaded its reports: every host job failed before its upload step, or was skipped.\n');
    });
  });

  it('runs a hosted job on ubuntu-latest only when OCTOLAB_KERNEL_SHA256 is set, and a notice job exactly when it is not', async () => {
    const { jobs } = await workflow();
    expect(jobs['hosted-kvm']).toMatchObject({ 'runs-on': 'ubuntu-latest', if: "${{ vars.OCTOLAB_KERNEL_SHA256 != '' }}" });
    expect(jobs['hosted-kvm-skipped']).toMatchObject({ 'runs-on': 'ubuntu-latest', if: "${{ vars.OCTOLAB_KERNEL_SHA256 == '' }}" });
  });

  it('the skipped twin leaves a notice and a summary line that say which variable to set', async () => {
    const [step] = (await workflow()).jobs['hosted-kvm-skipped']!.steps;
    await withDir(
      async ({ path: dir }) => {
        const run = await runStep(step!.run!, dir);
        expect(run.exitCode).toBe(0);
        expect(run.stdout).toMatch(/^::notice title=Hosted KVM boot skipped::Set the repository variable OCTOLAB_KERNEL_SHA256 /);
        expect(run.summary).toContain('### Hosted KVM boot skipped');
      },
      { unsafeCleanup: true },
    );
  });

  it('opens /dev/kvm with the udev rule, then runs setup with the kernel sha256 from the variable, the suites requiring kvm, firecracker and boot, and the boot', async () => {
    const job = (await workflow()).jobs['hosted-kvm']!;
    const udev = stepNamed(job.steps, /udev rule/);
    expect(udev.run!.trim().split('\n')).toEqual([
      `echo 'KERNEL=="kvm", GROUP="kvm", MODE="0666"' | sudo tee /etc/udev/rules.d/99-kvm4all.rules`,
      'sudo udevadm control --reload-rules',
      'sudo udevadm trigger --name-match=kvm',
    ]);
    const setup = stepNamed(job.steps, /^Set up Firecracker v1\.7\.0/);
    expect(setup.run).toBe('ci/as-root.sh node bin/octolab-verify.cjs setup --no-doctor');
    expect(setup.env).toMatchObject({ OCTOLAB_SETUP_KERNEL_SHA256: '${{ vars.OCTOLAB_KERNEL_SHA256 }}' });
    expect([...parseRequired(job.env!.OCTOLAB_VERIFY_REQUIRE)].sort()).toEqual(['boot', 'firecracker', 'kvm']);
    const order = [udev, setup, stepNamed(job.steps, /^Host suites/), stepNamed(job.steps, /^Hello-VM boot/)].map((s) => job.steps.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(stepNamed(job.steps, /^Verdict/).run).toMatch(/steps\.boot\.outputs\.exit_code[\s\S]*steps\.host\.outcome/);
  });

  it('refers only to scripts that exist in the repository and are executable', async () => {
    const steps = Object.values((await workflow()).jobs).flatMap((job) => job.steps);
    const scripts = new Set(steps.flatMap((s) => [...(s.run ?? '').matchAll(/\b(ci\/[\w/.-]+)/g)].map((m) => m[1]!)));
    expect([...scripts].sort()).toEqual(['ci/as-root.sh', 'ci/collect-boot-logs.ts', 'ci/junit-summary.ts', 'ci/runner/check-nested-virt.sh']);
    for (const script of scripts) {
      const stat = await fs.stat(path.join(ROOT, script));
      if (script.endsWith('.sh')) expect(stat.mode & 0o111).not.toBe(0);
    }
  });
});

describe('the GitLab CI jobs', () => {
  async function gitlab(): Promise<Record<string, any>> {
    return parse(await fs.readFile(GITLAB, 'utf8'));
  }

  it('runs one verify job per runner tag of its matrix, with the require switch on', async () => {
    const file = await gitlab();
    const job = file['microvm-verify'];
    expect(job.stage).toBe('verify');
    expect(file.stages).toEqual(['verify', 'report']);
    expect(job.parallel).toEqual({ matrix: [{ OCTOLAB_HOST_TAG: ['kvm'] }] });
    expect(job.tags).toEqual(['$OCTOLAB_HOST_TAG']);
    expect(file.variables).toMatchObject({ OCTOLAB_VERIFY_REQUIRE: 'all' });
  });

  it('installs, runs the doctor into files, the unit, host and soak suites, and fails when one failed', async () => {
    const job = (await gitlab())['microvm-verify'];
    expect(job.before_script).toEqual(expect.arrayContaining(['npm i -g pnpm@10.34.9', 'pnpm install --frozen-lockfile']));
    const script = (job.script as string[]).join('\n');
    expect(script).toContain('doctor --format json:reports/doctor.json --format junit:reports/junit-doctor.xml --format prometheus:reports/doctor.prom --format text');
    expect(script).toContain('ci/as-root.sh pnpm test:host');
    expect(script).toContain('ci/as-root.sh pnpm test:soak');
    expect(script).toContain('--expect unit,host,soak,doctor');
    expect(script).toMatch(/test "\$doctor_rc" -eq 0 && test "\$unit_rc" -eq 0 && test "\$host_rc" -eq 0 && test "\$soak_rc" -eq 0 && test "\$boot_rc" -eq 0\s*$/);
  });

  it('always collects logs and cleans up in after_script, keeps this host\'s reports under hosts/, and publishes artifacts when: always', async () => {
    const job = (await gitlab())['microvm-verify'];
    const after = (job.after_script as string[]).join('\n');
    expect(after.indexOf('collect-boot-logs.ts')).toBeLessThan(after.indexOf('octolab-verify.cjs cleanup'));
    expect(after.indexOf('octolab-verify.cjs cleanup')).toBeLessThan(after.indexOf('hosts/'));
    expect(job.artifacts.when).toBe('always');
    expect(job.artifacts.reports.junit).toEqual(['reports/junit-*.xml']);
    expect(job.artifacts.paths).toEqual(['reports/junit-*.xml', 'reports/doctor.json', 'reports/doctor.prom', 'reports/boot.json', 'reports/failed-boots/', 'hosts/']);
  });

  it('merges every host in a report stage, after the verify jobs whatever they did, and links the page from the merge request', async () => {
    const job = (await gitlab())['fleet-report'];
    expect(job).toMatchObject({ stage: 'report', when: 'always', needs: [{ job: 'microvm-verify', artifacts: true }] });
    expect(job.script).toEqual(['node bin/octolab-verify.cjs report --markdown reports/fleet.md --html reports/fleet.html hosts']);
    expect(job.artifacts).toMatchObject({ when: 'always', expose_as: 'fleet report', paths: ['reports/fleet.html', 'reports/fleet.md'] });
  });

  it('its hosts/ layout, made by the verify job\'s after_script and read by fleet-report\'s script, works end to end', { timeout: 60_000 }, async () => {
    const file = await gitlab();
    const keep = (file['microvm-verify'].after_script as string[]).find((line) => line.includes('hosts/'))!;
    await withFleet({ 'reports': 'host-boot-failed' }, async (dir) => {
      const kept = await runStep(keep, dir, { OCTOLAB_HOST_TAG: 'kvm', CI_JOB_ID: '4242' });
      expect(kept.exitCode, kept.stderr).toBe(0);
      expect((await fs.readdir(path.join(dir, 'hosts/kvm-4242'))).sort()).toEqual(['boot.json', 'doctor.json', 'junit-doctor.xml', 'junit-host.xml']);
      const merged = await runStep((file['fleet-report'].script as string[]).join('\n'), dir);
      expect(merged.exitCode, merged.stderr).toBe(0);
      expect(await fs.readFile(path.join(dir, 'reports/fleet.md'), 'utf8')).toContain('| **kvm-4242** | ❌ boot failed |');
    });
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
