import { stringify } from 'yaml';
import type { DoctorCheckEntry, DoctorReport } from '../report.ts';
import { outcomeOf } from './tally.ts';

/** TAP 14: `#` starts a directive in a description and `\` escapes, so both are escaped. */
function description(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replaceAll('\\', '\\\\').replaceAll('#', '\\#');
}

/** A YAML diagnostic block under a test point, indented two spaces as TAP 14 wants it. */
function diagnostics(fields: Record<string, string>): string[] {
  const yaml = stringify(fields, { lineWidth: 0 }).trimEnd().split('\n');
  return ['  ---', ...yaml.map((line) => `  ${line}`), '  ...'];
}

function testPoint(check: DoctorCheckEntry, index: number): string[] {
  const outcome = outcomeOf(check);
  const name = `${check.name}: ${check.title}`;
  if (outcome === 'skipped') return [`ok ${index} - ${description(name)} # SKIP ${description(check.skipped ?? '')}`];
  if (outcome === 'passed') return [`ok ${index} - ${description(name)}`];
  const head = `${outcome === 'fatal' ? 'not ok' : 'ok'} ${index} - ${description(name)}`;
  return [head, ...diagnostics({ severity: check.severity, message: check.details, hint: check.hint })];
}

/**
 * Renders the report as TAP version 14: one test point per check (a fatal failure is `not ok`, a
 * skipped check `# SKIP` with its reason, a warning `ok` with a YAML block holding its details and
 * fix), and the summary as a closing comment. Pure.
 */
export function renderTap(report: DoctorReport): string {
  const lines = ['TAP version 14', `1..${report.checks.length}`];
  report.checks.forEach((check, i) => lines.push(...testPoint(check, i + 1)));
  lines.push(`# ${report.summary.replace(/[\r\n]+/g, ' ')}`);
  return `${lines.join('\n')}\n`;
}
