import { renderJUnit, type JUnitCase } from '../junit/junit-xml.ts';
import { TOOL_NAME, TOOL_VERSION } from '../version.ts';
import type { DoctorCheckEntry, DoctorReport } from './report.ts';

/** The JUnit classname of every doctor case. */
export const DOCTOR_JUNIT_CLASS = 'octolab-verify doctor';

/**
 * Renders the report as JUnit XML: one testcase per check (fatal → failure, warn → passed with
 * the warning in system-out, skipped → skipped with its reason); host facts, summary and exit
 * code, and the tool's name and version as suite properties. Pure.
 */
export function renderDoctorJUnit(report: DoctorReport): string {
  const properties: Record<string, string> = {
    ...report.host,
    summary: report.summary,
    generated_at: report.generated_at,
    exit_code: String(report.exit_code),
    strict: String(report.strict),
    runtime: report.runtime,
    tool_name: TOOL_NAME,
    tool_version: TOOL_VERSION,
  };
  return renderJUnit('octolab-verify doctor', [
    { name: 'doctor', time: report.duration_ms / 1000, properties, cases: report.checks.map(toCase) },
  ]);
}

function toCase(entry: DoctorCheckEntry): JUnitCase {
  const base = { name: `${entry.name}: ${entry.title}`, classname: DOCTOR_JUNIT_CLASS, time: entry.duration_ms / 1000 };
  if (entry.skipped !== null) return { ...base, status: 'skipped', message: entry.skipped };
  if (!entry.ok && entry.severity === 'fatal') {
    return { ...base, status: 'failed', message: entry.details, details: `${entry.details}\nhint: ${entry.hint}` };
  }
  if (entry.severity === 'warn') {
    return { ...base, status: 'passed', stdout: `WARN ${entry.name}: ${entry.details}\nhint: ${entry.hint}` };
  }
  return { ...base, status: 'passed', stdout: `OK ${entry.name}: ${entry.details}` };
}
