import { isWarning, type DoctorReport } from '../doctor/report.ts';
import { renderClosingLine } from '../junit/count.ts';
import type { SuitesOutcome } from './suite-run.ts';

/** Everything the closing summary speaks of. */
export interface VerifySummaryInput {
  report: DoctorReport;
  doctorFiles: string[];
  suites: SuitesOutcome | null;
  exitCode: number;
  /** Set when the doctor's reports could not be written. */
  reportError?: string;
  /** How to run this again, e.g. `pnpm verify`. */
  rerun: string;
}

/**
 * Renders the main job's closing summary: the doctor's verdict in one line (its checks and fixes
 * are printed above it, not repeated), the host suites' counts with every skip's reason and every
 * failure, where the reports are, and the next thing to do. Pure.
 */
export function renderVerifySummary(input: VerifySummaryInput): string {
  const { report, suites } = input;
  const lines = ['', '== octolab-verify summary =='];
  const fatal = report.checks.filter((c) => !c.ok && c.severity === 'fatal');
  const warned = report.checks.filter(isWarning);
  const names = (checks: typeof fatal) => (checks.length > 0 ? ` (${checks.map((c) => c.name).join(', ')})` : '');
  const where = input.reportError ? 'reports not written' : input.doctorFiles.join(', ');
  lines.push(`doctor: ${fatal.length === 0 ? 'no fatal check failed' : `${fatal.length} fatal${names(fatal)}`}, ${warned.length} warning(s)${names(warned)}; fixes above; ${where}`);

  if (input.reportError) {
    lines.push(`host suites: not run (the doctor's reports could not be written)`);
  } else if (suites === null) {
    lines.push('host suites: not run (--no-suites)');
  } else if (suites.cases === null) {
    const how = suites.process.signal ? `was killed by ${suites.process.signal}` : `exited with ${suites.process.exitCode}`;
    lines.push(`host suites: FAILED: \`${suites.process.command}\` ${how} without writing ${suites.reportFile}; its output above says why`);
  } else {
    lines.push(`host suites: ${renderClosingLine(suites.counts)} (${suites.reportFile})`);
    for (const c of suites.cases.filter((c) => c.status === 'failed')) lines.push(`  FAIL ${c.classname} > ${c.name}: ${c.message || 'see the output above'}`);
    for (const c of suites.cases.filter((c) => c.status === 'skipped')) lines.push(`  SKIP ${c.classname} > ${c.name}: ${c.message || 'no reason recorded'}`);
    if (!suites.ok && suites.counts.failed === 0) lines.push(`  \`${suites.process.command}\` exited with ${suites.process.exitCode ?? suites.process.signal}: see the output above`);
  }

  lines.push(`verdict: ${verdict(input, fatal.length)}`);
  lines.push(`exit ${input.exitCode}`);
  return `${lines.join('\n')}\n`;
}

function verdict(input: VerifySummaryInput, fatal: number): string {
  const suitesFailed = input.suites !== null && !input.suites.ok;
  if (input.reportError) return `the reports could not be written (${input.reportError}): fix that, then re-run \`${input.rerun}\``;
  if (suitesFailed) return `a host suite failed: fix what the failures above name, then re-run \`${input.rerun}\``;
  if (fatal > 0) return `this host cannot run OctoLab labs in Firecracker microVMs yet: apply the fixes above (docs/doctor.md explains each), then re-run \`${input.rerun}\``;
  if (input.exitCode !== 0) return `--strict and a check warned: fix the warnings above, then re-run \`${input.rerun}\``;
  return 'this host is ready to run OctoLab labs in Firecracker microVMs';
}
