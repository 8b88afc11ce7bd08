import path from 'node:path';
import { realReportReader } from '../host/report-file.ts';
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
  /** The suites' output goes to stderr, keeping stdout for JSON (`verify --json`). */
  stdoutToStderr?: boolean;
  /** Failures only (verify --quiet). */
  quiet?: boolean;
}) => Promise<SuiteProcessResult>;

/** Reads the host suites' report back; the real one is `realReportReader` in lib/host/report-file.ts. */
export interface ReportReader {
  /** The file's text, or null when it does not exist; other errors throw. */
  read(filePath: string): Promise<string | null>;
  /** Removes the file; a missing file is fine. */
  remove(filePath: string): Promise<void>;
}

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
  stdoutToStderr?: boolean;
  quiet?: boolean;
  /** Default: the real file system. */
  reports?: ReportReader;
}): Promise<SuitesOutcome> {
  const reports = options.reports ?? realReportReader;
  const reportFile = hostReportFile(options.reportsDir);
  await reports.remove(reportFile);
  const result = await options.runner({
    cwd: options.packageRoot,
    env: { ...options.env, OCTOLAB_REPORTS_DIR: options.reportsDir },
    signal: options.signal,
    ...(options.stdoutToStderr ? { stdoutToStderr: true } : {}),
    quiet: options.quiet,
  });
  const xml = await reports.read(reportFile);
  const cases = xml === null ? null : listCases(xml);
  const counts = xml === null ? { passed: 0, failed: 0, skipped: 0 } : countJUnit(xml);
  const ok = result.exitCode === 0 && cases !== null && counts.failed === 0;
  return { process: result, reportFile, cases, counts, ok };
}
