import { describeExit, type DoctorCheckEntry, type DoctorReport } from './report.ts';

/** Rendering options: colour is decided by the caller (TTY and NO_COLOR), never here. */
export interface TextOptions {
  color: boolean;
}

type Paint = (code: number, text: string) => string;

/** Returns the status label of a check: OK, WARN, FAIL or SKIP. */
export function statusLabel(entry: DoctorCheckEntry): 'OK' | 'WARN' | 'FAIL' | 'SKIP' {
  if (entry.skipped !== null) return 'SKIP';
  if (entry.severity === 'warn') return 'WARN';
  return entry.ok ? 'OK' : 'FAIL';
}

const COLOURS = { OK: 32, WARN: 33, FAIL: 31, SKIP: 90 } as const;

/**
 * Renders the report for a terminal: a header, the host facts, one line per check (with its
 * fix under it when there is one), the summary and the exit code explained. Pure.
 */
export function renderDoctorText(report: DoctorReport, options: TextOptions): string {
  const paint: Paint = options.color ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_code, text) => text;
  const lines = [paint(1, 'OctoLab microVM doctor'), `generated ${report.generated_at}, runtime ${report.runtime}${report.strict ? ', strict' : ''}`, ''];
  lines.push('host:');
  const keys = Object.keys(report.host);
  const width = Math.max(0, ...keys.map((k) => k.length));
  for (const key of keys) lines.push(`  ${key.padEnd(width)}  ${report.host[key]}`);
  lines.push('', 'checks:');
  const nameWidth = Math.max(0, ...report.checks.map((c) => c.name.length));
  const indent = ' '.repeat(2 + 4 + 2 + nameWidth + 2);
  for (const entry of report.checks) {
    const label = statusLabel(entry);
    lines.push(`  ${paint(COLOURS[label], label.padEnd(4))}  ${entry.name.padEnd(nameWidth)}  ${entry.details}`);
    if (entry.hint && label !== 'OK') lines.push(`${indent}${paint(2, `fix: ${entry.hint}`)}`);
  }
  const overall = report.fatal_count > 0 ? 31 : report.exit_code !== 0 || report.warn_count > 0 ? 33 : 32;
  lines.push('', paint(overall, report.summary));
  lines.push(`${report.fatal_count} fatal, ${report.warn_count} warning(s); ${describeExit(report)}`);
  return `${lines.join('\n')}\n`;
}
