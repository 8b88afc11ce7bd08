import { describe, it } from 'vitest';
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
