import { clip } from '../verdict.ts';
import { isWarning, type DoctorCheckEntry, type DoctorReport } from '../report.ts';

/** How the checks of one report came out; every check is counted exactly once. */
export interface CheckTally {
  total: number;
  /** Passed without a warning. */
  passed: number;
  /** Severity fatal and not passed. */
  fatal: number;
  /** Severity warn, passed or not (what the text report labels WARN). */
  warnings: number;
  /** Did not run: a check it requires did not pass. */
  skipped: number;
}

/** Counts a report's checks by outcome. */
export function tallyChecks(report: DoctorReport): CheckTally {
  const tally: CheckTally = { total: report.checks.length, passed: 0, fatal: 0, warnings: 0, skipped: 0 };
  for (const check of report.checks) tally[outcomeOf(check)]++;
  return tally;
}

/** The one outcome a check is counted under. */
export function outcomeOf(check: DoctorCheckEntry): 'passed' | 'fatal' | 'warnings' | 'skipped' {
  if (check.skipped !== null) return 'skipped';
  if (isWarning(check)) return 'warnings';
  return check.ok ? 'passed' : 'fatal';
}

/** Returns `name: details` for each check of the given outcome, cut to `max` characters each, on one line. */
export function phrasesOf(report: DoctorReport, outcome: 'fatal' | 'warnings', max = 120): string[] {
  return report.checks.filter((c) => outcomeOf(c) === outcome).map((c) => `${c.name}: ${clip(c.details, max)}`);
}
