import { describe, expect, it } from 'vitest';
import { PATHS, breakers, healthyScenario, makeWsl, type DoctorScenario } from '../../../fixtures/doctor-hosts.ts';
import { renderDoctorJson } from '../../../lib/doctor/render-json.ts';
import { renderDoctorJUnit } from '../../../lib/doctor/render-junit.ts';
import { renderDoctorText } from '../../../lib/doctor/render-text.ts';
import { renderFormat } from '../../../lib/doctor/outputs/show-outputs.ts';
import { runStable } from './doctor-support.ts';
import { expectGolden } from './golden.ts';

/** One golden case: a scenario and whether the run is strict. */
const cases: Array<[string, () => DoctorScenario, boolean]> = [
  ['healthy', () => healthyScenario(), false],
  ['kvm-missing', () => { const s = healthyScenario(); breakers.kvmMissing(s); return s; }, false],
  ['wsl-dev-warnings', () => { const s = makeWsl(healthyScenario()); breakers.vsockMissing(s); return s; }, false],
  ['netd-denied', () => { const s = healthyScenario(); breakers.netdDenied(s); s.host.withFile('/run/octolab', { kind: 'directory', mode: 0o755 }); return s; }, false],
  [
    'several-fatal',
    () => {
      const s = healthyScenario();
      breakers.firecrackerMissing(s);
      breakers.kernelBzImage(s);
      breakers.rootfsTruncated(s);
      breakers.stateDirMissing(s);
      breakers.netdMissing(s);
      return s;
    },
    false,
  ],
  ['strict-jailer-warning', () => { const s = healthyScenario(); s.host.withCommand([PATHS.jailer, '--version'], { exitCode: 1 }); return s; }, true],
];

describe('doctor renderings match their golden files (update with UPDATE_GOLDEN=1)', () => {
  it.each(cases)('%s', async (name, arrange, strict) => {
    const report = await runStable(arrange(), { strict });
    expectGolden(`${name}.json`, renderDoctorJson(report));
    expectGolden(`${name}.txt`, renderDoctorText(report, { color: false }));
    expectGolden(`${name}.junit.xml`, renderDoctorJUnit(report));
    // The monitoring formats (lib/doctor/outputs); suites/unit/doctor/outputs/ checks what they mean.
    for (const [format, extension] of [['prometheus', 'prom'], ['nagios', 'nagios.txt'], ['tap', 'tap'], ['npd', 'npd.txt']] as const) {
      expectGolden(`${name}.${extension}`, await renderFormat(format, report, { color: false }));
    }
  });
});

describe('doctor text for a terminal of a given width, and --quiet (update with UPDATE_GOLDEN=1)', () => {
  it('wraps every fix under itself at 80 columns, never inside a word or a `command`', async () => {
    const s = healthyScenario();
    breakers.firecrackerMissing(s);
    breakers.stateDirMissing(s);
    breakers.netdMissing(s);
    const report = await runStable(s, { strict: false });
    const text = renderDoctorText(report, { color: false, width: 80 });
    expectGolden('several-fatal.80-columns.txt', text);
    for (const line of text.split('\n').filter((l) => l.startsWith(' '.repeat(21)))) {
      // Only an unbreakable piece (a URL, a `command`) may run past the width, on a line of its own.
      if (line.length > 80) expect(line.trim().replace(/`[^`]*`/g, 'CODE')).not.toMatch(/\s/);
    }
  });

  it('prints only the failures and the verdict with quiet', async () => {
    const s = healthyScenario();
    breakers.kvmMissing(s);
    breakers.vsockMissing(s);
    expectGolden('kvm-missing.quiet.txt', renderDoctorText(await runStable(s, { strict: false }), { color: false, width: 80, quiet: true }));
  });
});

