import { clip } from '../verdict.ts';
import type { DoctorReport } from '../report.ts';
import { nagiosStateOf } from './exit-scheme.ts';
import { outcomeOf, phrasesOf, tallyChecks } from './tally.ts';

/** The service name at the start of the status line. */
const SERVICE = 'OCTOLAB';

/** Text in plugin output must not contain `|`: Nagios would read the rest as performance data. */
function safe(text: string): string {
  return text.replaceAll('|', '/');
}

/** Formats one perfdata item `'label'=value[UOM];[warn];[crit];[min];[max]`, trailing empty fields dropped. */
export function perfdatum(label: string, value: number, uom = '', thresholds: { warn?: string; crit?: string; min?: number; max?: number } = {}): string {
  const quoted = /^[A-Za-z0-9_.-]+$/.test(label) ? label : `'${label.replaceAll("'", "''")}'`;
  const fields = [`${value}${uom}`, thresholds.warn ?? '', thresholds.crit ?? '', thresholds.min ?? '', thresholds.max ?? ''].map(String);
  while (fields.length > 1 && fields.at(-1) === '') fields.pop();
  return `${quoted}=${fields.join(';')}`;
}

/** The performance data of a report: check counts (fatal is critical above 0, warnings warn above 0) and the run's duration. */
export function renderNagiosPerfdata(report: DoctorReport): string {
  const t = tallyChecks(report);
  return [
    perfdatum('checks', t.total, '', { min: 0 }),
    perfdatum('passed', t.passed, '', { min: 0, max: t.total }),
    perfdatum('fatal', t.fatal, '', { crit: '0', min: 0, max: t.total }),
    perfdatum('warnings', t.warnings, '', { warn: '0', min: 0, max: t.total }),
    perfdatum('skipped', t.skipped, '', { min: 0, max: t.total }),
    perfdatum('duration', Math.round(report.duration_ms) / 1000, 's', { min: 0 }),
  ].join(' ');
}

/**
 * Renders the report as a Nagios/Icinga/Sensu check plugin's output: the status line
 * `OCTOLAB <STATE> - <what> | <perfdata>`, then (long output) one line per check that did not
 * simply pass, with its fix. Pure.
 */
export function renderNagios(report: DoctorReport): string {
  const state = nagiosStateOf(report);
  const t = tallyChecks(report);
  const what =
    state === 'CRITICAL'
      ? `not ready: ${listed(phrasesOf(report, 'fatal'), 'failed')}`
      : state === 'WARNING'
        ? `ready with ${t.warnings} warning(s): ${listed(phrasesOf(report, 'warnings'), 'warned')}`
        : `ready: ${t.passed} of ${t.total} checks passed${t.skipped ? `, ${t.skipped} skipped` : ''}`;
  const lines = [`${SERVICE} ${state} - ${safe(what)} | ${renderNagiosPerfdata(report)}`];
  for (const check of report.checks) {
    const outcome = outcomeOf(check);
    if (outcome === 'passed') continue;
    if (outcome === 'skipped') {
      lines.push(safe(`SKIP ${check.name}: ${clip(check.skipped ?? '', 300)}`));
      continue;
    }
    const fix = check.hint ? ` (fix: ${clip(check.hint, 300)})` : '';
    lines.push(safe(`${outcome === 'fatal' ? 'FAIL' : 'WARN'} ${check.name}: ${clip(check.details, 300)}${fix}`));
  }
  return `${lines.join('\n')}\n`;
}

/** One problem is shown with its details; several by name only (the long output has the rest). */
function listed(phrases: string[], verb: string): string {
  if (phrases.length === 1) return phrases[0]!;
  return `${phrases.map((p) => p.slice(0, p.indexOf(':'))).join(', ')} ${verb}`;
}

/** The status line when the doctor could not run at all (bad option, bad configuration, crash): UNKNOWN. */
export function renderNagiosUnknown(message: string): string {
  return `${SERVICE} UNKNOWN - ${safe(`the doctor could not run: ${clip(message.split('\n')[0] ?? '', 300)}`)}\n`;
}
