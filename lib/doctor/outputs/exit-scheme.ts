import { isWarning, type DoctorReport } from '../report.ts';
import type { Format } from './format-spec.ts';

/** Nagios plugin states and their exit codes (monitoring-plugins guidelines). */
export const NAGIOS = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
/** One Nagios plugin state. */
export type NagiosState = keyof typeof NAGIOS;

/** node-problem-detector's custom-plugin protocol: 0 no problem, 1 problem, anything else unknown. */
export const NPD = { ok: 0, problem: 1, unknown: 3 } as const;

/** The Nagios state of a report: CRITICAL when a fatal check failed, WARNING when a check warned, else OK. */
export function nagiosStateOf(report: DoctorReport): NagiosState {
  if (report.fatal_count > 0) return 'CRITICAL';
  if (report.checks.some(isWarning)) return 'WARNING';
  return 'OK';
}

/** True when node-problem-detector should see a problem: the doctor's own verdict is not 0 (fatal, or --strict and a warning). */
export function npdProblem(report: DoctorReport): boolean {
  return report.exit_code !== 0;
}

/**
 * The exit code of a doctor run. The format on stdout decides, because whoever reads stdout reads
 * the exit code too: nagios → its state's code; npd → 0 or 1; any other format, or none on stdout
 * (files only) → the doctor's own code (0, 2 fatal, 3 --strict and a warning).
 */
export function exitCodeFor(onStdout: Format | null, report: DoctorReport): number {
  if (onStdout === 'nagios') return NAGIOS[nagiosStateOf(report)];
  if (onStdout === 'npd') return npdProblem(report) ? NPD.problem : NPD.ok;
  return report.exit_code;
}

/** True when the format on stdout is a monitoring plugin's, whose callers expect UNKNOWN (3), not 64/78/1, when the doctor cannot run. */
export function answersUnknown(onStdout: Format | null): onStdout is 'nagios' | 'npd' {
  return onStdout === 'nagios' || onStdout === 'npd';
}
