/**
 * What the Nagios, node-problem-detector and TAP renderings mean, read back by their grammars:
 * the Nagios status line and perfdata (monitoring-plugins guidelines), NPD's one-line message,
 * and TAP 14's plan, test points, directives and YAML blocks.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { breakers, healthyScenario, makeWsl } from '../../../../fixtures/doctor-hosts.ts';
import { nagiosStateOf, NAGIOS } from '../../../../lib/doctor/outputs/exit-scheme.ts';
import { perfdatum, renderNagios, renderNagiosUnknown } from '../../../../lib/doctor/outputs/render-nagios.ts';
import { renderNpd } from '../../../../lib/doctor/outputs/render-npd.ts';
import { renderTap } from '../../../../lib/doctor/outputs/render-tap.ts';
import type { DoctorReport } from '../../../../lib/doctor/report.ts';
import { runStable } from '../doctor-support.ts';

// 'label'=value[UOM];[warn];[crit];[min];[max]; thresholds in the guidelines' range format.
const RANGE = String.raw`@?(?:~|-?[0-9.]+)?:?(?:-?[0-9.]+)?`;
const PERFDATUM = new RegExp(String.raw`^(?:'(?:[^']|'')+'|[^=' ]+)=-?[0-9.]+(?:s|us|ms|%|B|KB|MB|TB|c)?(?:;(?:${RANGE})?){0,2}(?:;-?[0-9.]*){0,2}$`);

async function reports(): Promise<Record<'healthy' | 'kvm' | 'several' | 'wsl', DoctorReport>> {
  const kvm = healthyScenario();
  breakers.kvmMissing(kvm);
  const several = healthyScenario();
  breakers.firecrackerMissing(several);
  breakers.netdMissing(several);
  const wsl = makeWsl(healthyScenario());
  breakers.vsockMissing(wsl);
  return { healthy: await runStable(healthyScenario()), kvm: await runStable(kvm), several: await runStable(several), wsl: await runStable(wsl) };
}

/** Splits plugin output into the status text, the perfdata items and the long-output lines. */
function readPlugin(output: string): { state: string; text: string; perfdata: string[]; long: string[] } {
  const [first, ...long] = output.trimEnd().split('\n');
  const match = /^OCTOLAB (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]+?)(?: \| (.+))?$/.exec(first!);
  if (!match) throw new Error(`not a plugin status line: ${first}`);
  return { state: match[1]!, text: match[2]!, perfdata: match[3]?.split(' ') ?? [], long };
}

describe('the Nagios plugin output', () => {
  it('starts with one status line whose state matches the exit code, and perfdata the guidelines accept', async () => {
    for (const [name, report] of Object.entries(await reports())) {
      const read = readPlugin(renderNagios(report));
      expect(read.state, name).toBe(nagiosStateOf(report));
      expect(NAGIOS[read.state as keyof typeof NAGIOS]).toBe({ healthy: 0, wsl: 1, kvm: 2, several: 2 }[name]);
      for (const item of read.perfdata) expect(item, name).toMatch(PERFDATUM);
      expect(read.perfdata.map((p) => p.split('=')[0])).toEqual(['checks', 'passed', 'fatal', 'warnings', 'skipped', 'duration']);
    }
  });

  it('names every failing check in the status line and gives each its fix in the long output', async () => {
    const read = readPlugin(renderNagios((await reports()).several));
    expect(read.text).toBe('not ready: firecracker, netd failed');
    expect(read.long.filter((l) => l.startsWith('FAIL '))).toEqual([expect.stringMatching(/^FAIL firecracker: .*\(fix: Install Firecracker v1\.7\.0/), expect.stringMatching(/^FAIL netd: .*\(fix: /)]);
    expect(read.perfdata).toContain('fatal=2;;0;0;9');
  });

  it('never lets a detail that holds "|" start the performance data early', async () => {
    const report = (await reports()).kvm;
    report.checks[0]!.details = 'a | b=1';
    const output = renderNagios(report);
    expect(output.split('\n')[0]!.split('|')).toHaveLength(2);
    expect(output).toContain('kvm: a / b=1');
  });

  it('quotes a label with spaces or quotes, and drops trailing empty fields', () => {
    expect(perfdatum("it's here", 3, 's', { min: 0 })).toBe("'it''s here'=3s;;;0");
    expect(perfdatum('plain', 1)).toBe('plain=1');
  });

  it('answers UNKNOWN on one line when the doctor cannot run', () => {
    expect(readPlugin(renderNagiosUnknown('bad option\n  hint: usage'))).toEqual({ state: 'UNKNOWN', text: 'the doctor could not run: bad option', perfdata: [], long: [] });
  });
});

describe('the node-problem-detector answer', () => {
  it('is one line that begins with the verdict and the failing checks, so that an 80-byte cut keeps them', async () => {
    const { healthy, several } = await reports();
    expect(renderNpd(healthy)).toBe('ready: 9 of 9 checks passed\n');
    const line = renderNpd(several);
    expect(line.split('\n')).toHaveLength(2);
    expect(line.slice(0, 80)).toMatch(/^not ready: firecracker, netd failed: firecracker: /);
  });
});

describe('the TAP rendering', () => {
  it('is TAP 14: a plan, one test point per check, SKIP with its reason, YAML blocks that parse', async () => {
    for (const [name, report] of Object.entries(await reports())) {
      const lines = renderTap(report).trimEnd().split('\n');
      expect(lines.slice(0, 2), name).toEqual(['TAP version 14', `1..${report.checks.length}`]);
      const points = lines.filter((l) => /^(not )?ok \d+ - /.test(l));
      expect(points.map((p) => Number(/ok (\d+)/.exec(p)![1]))).toEqual(report.checks.map((_c, i) => i + 1));
      expect(points.filter((p) => p.startsWith('not ok')).length).toBe(report.fatal_count);
      expect(points.filter((p) => p.includes(' # SKIP ')).length).toBe(report.checks.filter((c) => c.skipped !== null).length);
      for (let i = lines.indexOf('  ---'); i >= 0; i = lines.indexOf('  ---', i + 1)) {
        const end = lines.indexOf('  ...', i);
        const block = parseYaml(lines.slice(i + 1, end).map((l) => l.slice(2)).join('\n'));
        expect(Object.keys(block)).toEqual(['severity', 'message', 'hint']);
      }
    }
  });

  it('escapes "#" in a description so that it never reads as a directive', async () => {
    const report = (await reports()).healthy;
    report.checks[0]!.title = 'KVM # SKIP not really';
    expect(renderTap(report)).toContain('ok 1 - kvm: KVM \\# SKIP not really\n');
  });
});
