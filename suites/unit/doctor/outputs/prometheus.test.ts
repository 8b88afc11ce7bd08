/**
 * The Prometheus exposition for node_exporter's textfile collector: promtool accepts it (syntax
 * and Prometheus' naming lint), and its samples say what the report says.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { breakers, healthyScenario, makeWsl, type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import { renderPrometheus } from '../../../../lib/doctor/outputs/render-prometheus.ts';
import { TOOL_VERSION } from '../../../../lib/version.ts';
import { requireTools } from '../../../support/require.ts';
import { runStable } from '../doctor-support.ts';

const scenarios: Array<[string, () => DoctorScenario]> = [
  ['healthy', () => healthyScenario()],
  ['kvm missing', () => { const s = healthyScenario(); breakers.kvmMissing(s); return s; }],
  ['WSL with warnings', () => { const s = makeWsl(healthyScenario()); breakers.vsockMissing(s); return s; }],
];

/** `promtool check metrics` on a text: its exit code and what it said. */
async function promtool(text: string): Promise<{ exitCode: number | undefined; said: string }> {
  const result = await execa('promtool', ['check', 'metrics'], { input: text, reject: false });
  return { exitCode: result.exitCode, said: `${result.stdout}${result.stderr}`.trim() };
}

/** The samples of an exposition: `name{labels}` → value (the test's own reading of the text format). */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    found.set(match[1]!, Number(match[2]));
  }
  return found;
}

describe('the Prometheus exposition', () => {
  it.for(scenarios)('passes promtool check metrics (%s)', { tags: ['promtool'] }, async ([, arrange], ctx) => {
    requireTools(ctx, 'promtool', ['promtool']);
    const text = await renderPrometheus(await runStable(arrange()));
    expect(await promtool(text)).toEqual({ exitCode: 0, said: '' });
  });

  it('is checked by a promtool that does reject a name against the conventions, so the check above can fail', { tags: ['promtool'] }, async (ctx) => {
    requireTools(ctx, 'promtool', ['promtool']);
    const text = (await renderPrometheus(await runStable(healthyScenario()))).replaceAll('octolab_doctor_duration_seconds', 'octolab_doctor_duration_milliseconds');
    const result = await promtool(text);
    expect(result.exitCode).not.toBe(0);
    expect(result.said).toContain('use base unit "seconds" instead of "milliseconds"');
  });

  it('has a gauge per check with check and severity labels, the ready gauge, the duration, the run time and the build info', async () => {
    const s = healthyScenario();
    breakers.kvmMissing(s);
    const report = await runStable(s);
    const text = await renderPrometheus(report);
    const got = samples(text);
    expect(got.get('octolab_doctor_check_ok{check="kvm",severity="fatal"}')).toBe(0);
    expect(got.get('octolab_doctor_check_ok{check="firecracker",severity="info"}')).toBe(1);
    expect(got.get('octolab_doctor_check_skipped{check="kvm_guest"}')).toBe(1);
    expect(got.get('octolab_doctor_ready')).toBe(0);
    expect(got.get('octolab_doctor_failed_checks{severity="fatal"}')).toBe(1);
    expect(got.get('octolab_doctor_duration_seconds')).toBe(0);
    expect(got.get('octolab_doctor_last_run_timestamp_seconds')).toBe(Date.parse('2024-05-01T12:00:00.000Z') / 1000);
    expect(got.get(`octolab_verify_build_info{version="${TOOL_VERSION}"}`)).toBe(1);
    expect([...got.keys()].filter((k) => k.startsWith('octolab_doctor_check_ok{'))).toHaveLength(report.checks.length);
    for (const line of text.split('\n').filter((l) => l.startsWith('# TYPE'))) expect(line).toMatch(/ gauge$/);
  });

  it('says the host is ready, in seconds, when every check passed', async () => {
    const report = await runStable(healthyScenario(), { clock: { now: ((t) => () => (t += 250))(0), isoNow: () => '2024-05-01T12:00:00.000Z' } });
    const got = samples(await renderPrometheus(report));
    expect(got.get('octolab_doctor_ready')).toBe(1);
    expect(got.get('octolab_doctor_duration_seconds')).toBe(report.duration_ms / 1000);
    expect(report.duration_ms).toBeGreaterThan(0);
  });

  it('escapes a label value that holds quotes, backslashes or a newline', async () => {
    const report = await runStable(healthyScenario());
    report.checks[0]!.name = 'we"ird\\name\nx';
    const text = await renderPrometheus(report);
    expect(text).toContain('octolab_doctor_check_ok{check="we\\"ird\\\\name\\nx",severity="info"} 1');
  });
});
