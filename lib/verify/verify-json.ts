import { clip } from '../doctor/verdict.ts';
import { roundMs, stageToJson, toolJson, type StageJson, type ToolJson } from '../json-style.ts';
import type { CaseOutcome } from '../junit/count.ts';
import type { VerifyOutcome } from './run-verify.ts';

/** The run's verdict, most serious first: a host suite failed; a fatal check; --strict and a warning; ready. */
export type VerifyVerdict = 'suites-failed' | 'not-ready' | 'strict-warning' | 'ready';

/** One test file of the host suites (a JUnit classname) and its counts. */
export interface SuiteCountsJson {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
}

/** The main job's outcome as JSON (`verify --json`, reports/verify.json); snake_case, ms to 0.1. */
export interface VerifyJson {
  tool: ToolJson;
  ok: boolean;
  exit_code: number;
  verdict: VerifyVerdict;
  generated_at: string;
  reports_dir: string;
  doctor: {
    ok: boolean;
    summary: string;
    fatal_count: number;
    warn_count: number;
    exit_code: number;
    files: string[];
    /** Every check that did not simply pass: fatal failures and warnings, with the fix. */
    findings: Array<{ name: string; severity: string; details: string; hint: string }>;
  };
  /** Null with --no-suites (or when interrupted before they started). */
  suites: {
    command: string;
    exit_code: number | null;
    signal: string | null;
    report_file: string;
    /** False when the run wrote no report (it crashed or was interrupted early). */
    reported: boolean;
    ok: boolean;
    passed: number;
    failed: number;
    skipped: number;
    /** Counts per test file, in the report's order. */
    suites: SuiteCountsJson[];
    failures: Array<{ suite: string; name: string; message: string }>;
    skips: Array<{ suite: string; name: string; reason: string }>;
  } | null;
  stages: StageJson[];
  total_ms: number;
}

/** Returns the verdict of an outcome. */
export function verdictOf(outcome: Pick<VerifyOutcome, 'report' | 'suites' | 'exitCode'>): VerifyVerdict {
  if (outcome.suites !== null && !outcome.suites.ok) return 'suites-failed';
  if (outcome.report.fatal_count > 0) return 'not-ready';
  return outcome.exitCode === 0 ? 'ready' : 'strict-warning';
}

/** Counts cases per suite (JUnit classname), keeping the order in which suites first appear. */
export function countBySuite(cases: readonly CaseOutcome[]): SuiteCountsJson[] {
  const bySuite = new Map<string, SuiteCountsJson>();
  for (const c of cases) {
    const entry = bySuite.get(c.classname) ?? { name: c.classname, passed: 0, failed: 0, skipped: 0 };
    entry[c.status]++;
    bySuite.set(c.classname, entry);
  }
  return [...bySuite.values()];
}

/** Returns the outcome as JSON. Pure. */
export function toVerifyJson(outcome: Omit<VerifyOutcome, 'verifyFile'>): VerifyJson {
  const { report, suites } = outcome;
  const cases = suites?.cases ?? [];
  return {
    tool: toolJson(),
    ok: outcome.exitCode === 0,
    exit_code: outcome.exitCode,
    verdict: verdictOf(outcome),
    generated_at: outcome.generatedAt,
    reports_dir: outcome.reportsDir,
    doctor: {
      ok: report.ok,
      summary: report.summary,
      fatal_count: report.fatal_count,
      warn_count: report.warn_count,
      exit_code: report.exit_code,
      files: [...outcome.doctorFiles],
      findings: report.checks.filter((c) => (!c.ok && c.severity === 'fatal') || c.severity === 'warn').map((c) => ({ name: c.name, severity: c.severity, details: c.details, hint: c.hint })),
    },
    suites: suites && {
      command: suites.process.command,
      exit_code: suites.process.exitCode,
      signal: suites.process.signal,
      report_file: suites.reportFile,
      reported: suites.cases !== null,
      ok: suites.ok,
      ...suites.counts,
      suites: countBySuite(cases),
      failures: cases.filter((c) => c.status === 'failed').map((c) => ({ suite: c.classname, name: c.name, message: clip(c.message, 2000) })),
      skips: cases.filter((c) => c.status === 'skipped').map((c) => ({ suite: c.classname, name: c.name, reason: c.message })),
    },
    stages: outcome.stages.map(stageToJson),
    total_ms: roundMs(outcome.totalMs),
  };
}

/** Renders the outcome as pretty-printed JSON with a trailing newline. Pure. */
export function renderVerifyJson(outcome: Omit<VerifyOutcome, 'verifyFile'>): string {
  return `${JSON.stringify(toVerifyJson(outcome), null, 2)}\n`;
}
