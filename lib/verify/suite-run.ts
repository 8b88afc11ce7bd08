import { promises as fs } from 'node:fs';
import path from 'node:path';
import { countJUnit, listCases, type CaseOutcome, type Counts } from '../junit/count.ts';

/** How the host suites' process ended. */
export interface SuiteProcessResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
}

/** Starts the host suites: the real one runs vitest in the foreground, tests pass a fake. */
export type SuiteRunner = (options: {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
}) => Promise<SuiteProcessResult>;

/** What the host suites did, read from their process and their JUnit report. */
export interface SuitesOutcome {
  process: SuiteProcessResult;
  reportFile: string;
  /** Null when the run ended without writing its report (it crashed or was interrupted early). */
  cases: CaseOutcome[] | null;
  counts: Counts;
  /** True when the process exited 0 and the report exists and records no failure. */
  ok: boolean;
}

/** The JUnit file the host project's reporter writes into `reportsDir`. */
export function hostReportFile(reportsDir: string): string {
  return path.join(reportsDir, 'junit-host.xml');
}

/**
 * Runs the host suites and reads their outcome back. An earlier run's report is removed first,
 * so a run that dies before writing can never be judged by a stale file.
 */
export async function runHostSuites(options: {
  runner: SuiteRunner;
  packageRoot: string;
  reportsDir: string;
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
}): Promise<SuitesOutcome> {
  const reportFile = hostReportFile(options.reportsDir);
  await fs.rm(reportFile, { force: true });
  const result = await options.runner({
    cwd: options.packageRoot,
    env: { ...options.env, OCTOLAB_REPORTS_DIR: options.reportsDir },
    signal: options.signal,
  });
  let xml: string | null = null;
  try {
    xml = await fs.readFile(reportFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const cases = xml === null ? null : listCases(xml);
  const counts = xml === null ? { passed: 0, failed: 0, skipped: 0 } : countJUnit(xml);
  const ok = result.exitCode === 0 && cases !== null && counts.failed === 0;
  return { process: result, reportFile, cases, counts, ok };
}
