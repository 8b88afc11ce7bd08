import type { Runtime } from '../config/index.ts';
import type { HostFacts } from '../host/host-facts.ts';
import type { Severity } from './check.ts';

/** The doctor's exit codes: 0 ready, 2 a fatal check failed (upstream), 3 `--strict` and a check warned. */
export const DOCTOR_EXIT = { ok: 0, fatal: 2, strictWarning: 3 } as const;
/** One of the doctor's exit codes. */
export type DoctorExitCode = (typeof DOCTOR_EXIT)[keyof typeof DOCTOR_EXIT];

/**
 * One check in the report. The first five fields are upstream's `DoctorCheck.to_dict()` shape
 * and keep their names; the rest are additions.
 */
export interface DoctorCheckEntry {
  /** Upstream's check name (`kvm`, `state_dir`, …). */
  name: string;
  ok: boolean;
  severity: Severity;
  details: string;
  /** What to do next; "" when there is nothing to do. */
  hint: string;
  title: string;
  /** Why the check did not run (a check it requires did not pass); null when it ran. */
  skipped: string | null;
  duration_ms: number;
  /** What the check saw (versions, paths, modes); also merged into the report's `host`. */
  facts: Record<string, string>;
}

/**
 * The one doctor report; text, JSON and JUnit are renderings of it. The first six fields are
 * upstream's `DoctorReport.to_dict()` shape; the rest are additions. Counts, summary and exit
 * code are computed here once, by buildDoctorReport.
 */
export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheckEntry[];
  summary: string;
  /** ISO-8601 UTC. */
  generated_at: string;
  /** Checks with severity fatal that did not pass. */
  fatal_count: number;
  /** Checks with severity warn that did not pass (upstream's definition). */
  warn_count: number;
  exit_code: DoctorExitCode;
  /** True when warnings fail the run (exit 3). */
  strict: boolean;
  runtime: Runtime;
  /** Host facts (kernel, CPU, virtualisation, WSL, versions) plus every check's facts. */
  host: HostFacts;
  /** Where each setting came from: "default", "env NAME" or "file:line (NAME)". */
  config_sources: Record<string, string>;
  duration_ms: number;
}

/** Inputs to buildDoctorReport. */
export interface ReportInput {
  checks: DoctorCheckEntry[];
  generatedAt: string;
  strict: boolean;
  runtime: Runtime;
  host: HostFacts;
  configSources: Record<string, string>;
  durationMs: number;
}

/** True when this entry counts as a warning for `--strict`: any severity-warn finding, passed or not. */
export function isWarning(entry: DoctorCheckEntry): boolean {
  return entry.severity === 'warn';
}

/** Builds the report: ok, counts, upstream's summary string and the exit code, each computed once. */
export function buildDoctorReport(input: ReportInput): DoctorReport {
  const fatal = input.checks.filter((c) => c.severity === 'fatal' && !c.ok);
  const warn = input.checks.filter((c) => c.severity === 'warn' && !c.ok);
  const summary =
    fatal.length > 0
      ? `Firecracker unavailable: ${fatal.map((c) => c.name).join(', ')} check(s) failed`
      : warn.length > 0
        ? `Firecracker available with ${warn.length} warning(s)`
        : 'Firecracker available and ready';
  const exitCode: DoctorExitCode =
    fatal.length > 0 ? DOCTOR_EXIT.fatal : input.strict && input.checks.some(isWarning) ? DOCTOR_EXIT.strictWarning : DOCTOR_EXIT.ok;
  return {
    ok: fatal.length === 0,
    checks: input.checks,
    summary,
    generated_at: input.generatedAt,
    fatal_count: fatal.length,
    warn_count: warn.length,
    exit_code: exitCode,
    strict: input.strict,
    runtime: input.runtime,
    host: input.host,
    config_sources: input.configSources,
    duration_ms: input.durationMs,
  };
}

/** Returns a sentence saying why the exit code is what it is, for the text rendering. */
export function describeExit(report: DoctorReport): string {
  if (report.exit_code === DOCTOR_EXIT.fatal) return `exit ${report.exit_code}: a fatal check failed`;
  if (report.exit_code === DOCTOR_EXIT.strictWarning) {
    const names = report.checks.filter(isWarning).map((c) => c.name);
    return `exit ${report.exit_code}: --strict and ${names.join(', ')} warned`;
  }
  return `exit ${report.exit_code}`;
}
