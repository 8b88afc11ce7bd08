/**
 * Runs the host tests of each hidden-capability scenario (hidden-capabilities.ts) with that
 * capability hidden, and leaves reports/junit-host-without-<name>.xml for CI's closing line. A run
 * whose report is missing, or in which no test skipped for the hidden reason (the hiding did not
 * take effect), is recorded as a failure in reports/junit-ci-hidden-<name>.xml. Exits 0 once every
 * scenario is recorded (their verdicts are in the reports), 64 on an unknown scenario name; any
 * other exit means it could not finish.
 *
 *   node --import tsx suites/support/run-hidden-capabilities.ts [NAME...]     (as root, from the repo)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReportFile } from '../../lib/host/report-file.ts';
import { countJUnit, listCases, renderClosingLine } from '../../lib/junit/count.ts';
import { renderJUnit } from '../../lib/junit/junit-xml.ts';
import { HIDDEN_SCENARIOS, MISSING_KVM_DEVICE, type HiddenScenario } from './hidden-capabilities.ts';
import { buildPathWithout } from './hidden-path.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs');
const REPORTS = path.resolve(process.env.OCTOLAB_REPORTS_DIR || path.join(ROOT, 'reports'));

/** Plays one scenario; returns the problems that make it a failure beyond its tests' own ([] = fine). */
async function play(scenario: HiddenScenario): Promise<string[]> {
  const temp = await fs.mkdtemp(path.join(os.tmpdir(), `octolab-hidden-${scenario.name}-`));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, OCTOLAB_REPORTS_DIR: path.join(temp, 'reports') };
    // These runs prove the skips; a runner that requires everything would turn them into failures by design.
    delete env.OCTOLAB_VERIFY_REQUIRE;
    if (scenario.hideKvm) env.OCTOLAB_KVM_DEVICE = MISSING_KVM_DEVICE;
    if (scenario.hideTools.length > 0) {
      await fs.mkdir(path.join(temp, 'bin'));
      const built = await buildPathWithout(scenario.hideTools, process.env.PATH ?? '', path.join(temp, 'bin'));
      env.PATH = built.path;
      console.log(`hidden: ${built.hiddenFrom.join(', ') || `(none of ${scenario.hideTools.join(', ')} was on PATH)`}`);
    }
    const args = [VITEST, 'run', '--project', 'host', ...(scenario.testNamePattern ? ['-t', scenario.testNamePattern] : []), ...scenario.files];
    console.log(`\n== host tests without ${scenario.lacks}: ${scenario.files.join(' ')}`);
    const run = spawnSync(process.execPath, args, { cwd: ROOT, env, stdio: 'inherit' });
    const junit = path.join(temp, 'reports', 'junit-host.xml');
    if (!existsSync(junit)) return [`the run ended (exit ${run.status ?? run.signal}) before writing its JUnit report`];
    const xml = keepSelected(await fs.readFile(junit, 'utf8'), scenario);
    await writeReportFile(path.join(REPORTS, `junit-host-without-${scenario.name}.xml`), xml);
    console.log(`host tests without ${scenario.lacks}: ${renderClosingLine(countJUnit(xml))}`);
    const skips = listCases(xml).filter((c) => c.status === 'skipped');
    if (!skips.some((c) => scenario.expectSkipReason.test(c.message))) {
      return [`no test skipped with a reason matching ${scenario.expectSkipReason}: the capability was not hidden (skips: ${skips.map((c) => c.message).join(' | ') || 'none'})`];
    }
    return [];
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
}

/**
 * With a name filter, vitest reports the tests it left out as skipped; they are not skips for a
 * missing capability, so they are dropped (the report is rebuilt from its cases, without stacks).
 */
function keepSelected(xml: string, scenario: HiddenScenario): string {
  if (!scenario.testNamePattern) return xml;
  const pattern = new RegExp(scenario.testNamePattern);
  const cases = listCases(xml).filter((c) => c.status !== 'skipped' || pattern.test(c.name));
  return renderJUnit(`octolab-microvm-verify host without ${scenario.name}`, [
    {
      name: `[host] without ${scenario.lacks} (tests matching /${scenario.testNamePattern}/)`,
      properties: { project: 'host' },
      cases: cases.map((c) => ({ name: c.name, classname: c.classname, status: c.status, message: c.message || undefined })),
    },
  ]);
}

async function main(names: string[]): Promise<number> {
  const unknown = names.filter((name) => !HIDDEN_SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    console.error(`unknown scenario ${unknown.join(', ')}; known: ${HIDDEN_SCENARIOS.map((s) => s.name).join(', ')}`);
    return 64;
  }
  for (const scenario of HIDDEN_SCENARIOS.filter((s) => names.length === 0 || names.includes(s.name))) {
    const problems = await play(scenario);
    for (const problem of problems) console.error(`hidden ${scenario.name}: ${problem}`);
    await writeReportFile(
      path.join(REPORTS, `junit-ci-hidden-${scenario.name}.xml`),
      renderJUnit(`octolab-microvm-verify ci hidden-${scenario.name}`, [
        {
          name: `[ci] host tests without ${scenario.lacks}`,
          properties: { project: 'ci' },
          cases: [
            {
              name: `the host tests ran without ${scenario.lacks}, and skipped for it`,
              classname: 'ci',
              status: problems.length > 0 ? 'failed' : 'passed',
              message: problems.length > 0 ? problems.join('; ') : undefined,
            },
          ],
        },
      ]),
    );
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
