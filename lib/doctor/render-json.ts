import { toolJson, type ToolJson } from '../json-style.ts';
import type { DoctorCheckEntry, DoctorReport } from './report.ts';

/** One check as JSON: upstream's `{name, ok, severity, details, hint}` first, then the additions. */
export type DoctorCheckJson = Pick<DoctorCheckEntry, 'name' | 'ok' | 'severity' | 'details' | 'hint' | 'title' | 'skipped' | 'duration_ms' | 'facts'>;

/**
 * The report as JSON: upstream's `{ok, checks, summary, generated_at, fatal_count, warn_count}`
 * first (names never change), then this project's additions.
 */
export interface DoctorJson {
  ok: boolean;
  checks: DoctorCheckJson[];
  summary: string;
  generated_at: string;
  fatal_count: number;
  warn_count: number;
  exit_code: number;
  strict: boolean;
  runtime: DoctorReport['runtime'];
  host: Record<string, string>;
  config_sources: Record<string, string>;
  duration_ms: number;
  /** Which tool (and version) wrote the report; an addition, after upstream's fields. */
  tool: ToolJson;
}

/** Returns the JSON object of a report, fields in upstream's order. Pure. */
export function toDoctorJson(report: DoctorReport): DoctorJson {
  return {
    ok: report.ok,
    checks: report.checks.map((c) => ({
      name: c.name,
      ok: c.ok,
      severity: c.severity,
      details: c.details,
      hint: c.hint,
      title: c.title,
      skipped: c.skipped,
      duration_ms: c.duration_ms,
      facts: { ...c.facts },
    })),
    summary: report.summary,
    generated_at: report.generated_at,
    fatal_count: report.fatal_count,
    warn_count: report.warn_count,
    exit_code: report.exit_code,
    strict: report.strict,
    runtime: report.runtime,
    host: { ...report.host },
    config_sources: { ...report.config_sources },
    duration_ms: report.duration_ms,
    tool: toolJson(),
  };
}

/** Renders the report as pretty-printed JSON with a trailing newline. Pure. */
export function renderDoctorJson(report: DoctorReport): string {
  return `${JSON.stringify(toDoctorJson(report), null, 2)}\n`;
}
