import { describe, expect, it } from 'vitest';
import { ALICE, breakers, healthyScenario } from '../../../fixtures/doctor-hosts.ts';
import { loadConfig } from '../../../lib/config/index.ts';
import type { Check, CheckContext } from '../../../lib/doctor/check.ts';
import { allChecks } from '../../../lib/doctor/checks/index.ts';
import { runDoctor } from '../../../lib/doctor/run-doctor.ts';
import { passed, passedWithWarning, failed } from '../../../lib/doctor/verdict.ts';
import { UsageError, VerifyError } from '../../../lib/errors.ts';
import { FIXED_CLOCK, runStable } from './doctor-support.ts';

function check(id: string, run: Check['run'], requires?: string[]): Check {
  return requires ? { id, title: `the ${id} check`, requires, run } : { id, title: `the ${id} check`, run };
}

const ok = (id: string) => check(id, async () => passed(`${id} fine`));

describe('runDoctor', () => {
  it('runs every check on a healthy host and reports them in list order under upstream names', async () => {
    const report = await runStable(healthyScenario());
    expect(report.checks.map((c) => c.name)).toEqual(allChecks.map((c) => c.id));
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['kvm', 'firecracker', 'jailer', 'kernel', 'rootfs', 'state_dir', 'vsock', 'netd']));
    expect(report).toMatchObject({ ok: true, summary: 'Firecracker available and ready', fatal_count: 0, warn_count: 0, exit_code: 0, runtime: 'firecracker' });
  });

  it('turns an exception inside a check into a fatal result with details and a hint', async () => {
    const report = await runStable(healthyScenario(), {
      checks: [check('boom', async () => { throw new TypeError('cannot read properties of undefined'); })],
    });
    expect(report.checks[0]).toMatchObject({ name: 'boom', ok: false, severity: 'fatal', details: 'boom check crashed: cannot read properties of undefined' });
    expect(report.checks[0]!.hint).toMatch(/re-run the doctor/);
    expect(report.exit_code).toBe(2);
  });

  it('keeps the hint of a VerifyError thrown inside a check', async () => {
    const report = await runStable(healthyScenario(), {
      checks: [check('probe', async () => { throw new UsageError({ code: 'USAGE', summary: 'probe refused', hint: 'do the thing' }); })],
    });
    expect(report.checks[0]).toMatchObject({ details: 'probe check crashed: probe refused', hint: 'do the thing' });
  });

  it('turns a check that never finishes into a fatal result', async () => {
    const report = await runStable(healthyScenario(), { checks: [check('hang', () => new Promise(() => {}))], checkTimeoutMs: 20 });
    expect(report.checks[0]).toMatchObject({ ok: false, severity: 'fatal', details: 'hang check did not finish within 0.02 s' });
  });

  it('skips a check whose requirement failed, with the reason, and never runs it', async () => {
    let ran = false;
    const report = await runStable(healthyScenario(), {
      checks: [
        check('base', async () => failed('fatal', 'base broken', 'fix base')),
        check('child', async () => { ran = true; return passed('child fine'); }, ['base']),
      ],
    });
    expect(ran).toBe(false);
    expect(report.checks[1]).toMatchObject({ name: 'child', ok: false, severity: 'info', skipped: 'needs base to pass first', details: 'skipped: needs base to pass first', hint: 'Fix base first, then run the doctor again.' });
    expect(report).toMatchObject({ fatal_count: 1, warn_count: 0, summary: 'Firecracker unavailable: base check(s) failed' });
  });

  it('runs a check whose requirement passed (even with a warning) and hands it that result', async () => {
    let seen: CheckContext['results'] | undefined;
    const report = await runStable(healthyScenario(), {
      checks: [
        check('base', async () => passedWithWarning('base ok-ish', 'look at base')),
        check('child', async (ctx) => { seen = ctx.results; return passed('child fine'); }, ['base']),
      ],
    });
    expect(report.checks[1]).toMatchObject({ ok: true, skipped: null });
    expect(seen?.get('base')).toMatchObject({ ok: true, severity: 'warn', details: 'base ok-ish' });
  });

  it.each([
    ['two checks share an id', [ok('a'), ok('a')], 'two doctor checks share the id "a"'],
    ['a check requires one listed after it', [check('a', async () => passed('x'), ['b']), ok('b')], 'doctor check "a" requires b, which is not listed before it'],
  ])('refuses a malformed check list: %s', async (_name, checks, message) => {
    await expect(runStable(healthyScenario(), { checks })).rejects.toThrow(VerifyError);
    await expect(runStable(healthyScenario(), { checks })).rejects.toThrow(message);
  });

  it('starts independent checks together, but a check after the ones it requires', async () => {
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const checks = [
      check('slow', async () => { events.push('slow start'); await gate; events.push('slow end'); return passed('slow'); }),
      check('fast', async () => { events.push('fast start'); release(); return passed('fast'); }),
      check('after', async () => { events.push('after start'); return passed('after'); }, ['slow']),
    ];
    await runStable(healthyScenario(), { checks });
    expect(events).toEqual(['slow start', 'fast start', 'slow end', 'after start']);
  });

  it('runs one check at a time with schedule "sequential"', async () => {
    const events: string[] = [];
    const step = (id: string) => check(id, async () => { events.push(`${id} start`); await new Promise((r) => setTimeout(r, 2)); events.push(`${id} end`); return passed(id); });
    await runStable(healthyScenario(), { checks: [step('a'), step('b')], schedule: 'sequential' });
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end']);
  });

  it('merges host facts, the runtime user, WSL and every check\'s facts into report.host', async () => {
    const report = await runStable(healthyScenario());
    expect(report.host).toMatchObject({
      kernel_release: '6.1.0-13-amd64',
      runtime_user: 'alice (uid 1000, via sudo)',
      wsl: 'no',
      kvm_api_version: '12',
      firecracker_version: 'Firecracker v1.7.0',
      jailer_version: 'Jailer v1.7.0',
      netd_build_id: 'netd-1',
    });
  });

  it('gathers real host facts through the host by default', async () => {
    const s = healthyScenario();
    s.host.withFile('/proc/sys/kernel/osrelease', { kind: 'file', content: '6.6.6-test\n' });
    const report = await runDoctor({ host: s.host, config: s.config, clock: FIXED_CLOCK });
    expect(report.host.kernel_release).toBe('6.6.6-test');
  });

  it('records why host facts are missing when gathering them fails', async () => {
    const report = await runStable(healthyScenario(), { gatherFacts: async () => { throw new Error('cpuinfo exploded'); } });
    expect(report.host.host_facts_error).toBe('cpuinfo exploded');
    expect(report.ok).toBe(true);
  });

  it('records where every setting came from', async () => {
    const s = healthyScenario();
    const loaded = await loadConfig({ env: { OCTOLAB_RUNTIME: 'firecracker', MICROVM_STATE_DIR: '/srv/state' }, fs: s.host.fs, cwd: '/repo' });
    const report = await runStable(s, { sources: loaded.sources });
    expect(report.config_sources).toMatchObject({
      OCTOLAB_RUNTIME: 'env OCTOLAB_RUNTIME',
      OCTOLAB_MICROVM_STATE_DIR: 'env MICROVM_STATE_DIR',
      OCTOLAB_MICROVM_KERNEL_PATH: 'default',
    });
  });

  it('flattens and bounds what a check says, so one bad check cannot flood the renderings', async () => {
    const report = await runStable(healthyScenario(), { checks: [check('long', async () => failed('warn', `line one\nline two ${'x'.repeat(2000)}`, 'h'))] });
    expect(report.checks[0]!.details).toMatch(/^line one line two x+\.\.\.$/);
    expect(report.checks[0]!.details).toHaveLength(500);
  });

  it('measures durations with the injected clock', async () => {
    let t = 0;
    const report = await runStable(healthyScenario(), { checks: [ok('a')], clock: { now: () => (t += 10), isoNow: () => 'then' } });
    expect(report.checks[0]!.duration_ms).toBe(10);
    expect(report.generated_at).toBe('then');
    expect(report.duration_ms).toBeGreaterThan(0);
  });

  it('judges the identity the host reports as the runtime user', async () => {
    const s = healthyScenario({ identity: { ...ALICE, groups: [1000] } });
    breakers.stateDirMissing(s);
    const report = await runStable(s);
    expect(report.checks.find((c) => c.name === 'state_dir')!.hint).toContain('sudo chown alice');
  });
});
