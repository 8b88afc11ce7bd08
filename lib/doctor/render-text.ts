import { TOOL_NAME, TOOL_VERSION } from '../version.ts';
import { wrapIndented } from '../text-wrap.ts';
import { describeExit, type DoctorCheckEntry, type DoctorReport } from './report.ts';

/** Rendering options: colour and width are decided by the caller (TTY, NO_COLOR, COLUMNS), never here. */
export interface TextOptions {
  color: boolean;
  /** Wrap each fix to this many columns; undefined: one line per fix. */
  width?: number;
  /** Failures only: the FAIL and WARN lines with their fixes, and the verdict (nothing when all is well). */
  quiet?: boolean;
  /** Replaces the closing "exit N: …" line when the command ends otherwise (a report could not be written). */
  closing?: string;
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
 * fix under it, wrapped to the width, in plain text: the fix is what the reader needs most), the
 * summary and the exit code explained. With `quiet`, only what failed or warned. Pure.
 */
export function renderDoctorText(report: DoctorReport, options: TextOptions): string {
  const paint: Paint = options.color ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_code, text) => text;
  const lines: string[] = [];
  if (!options.quiet) {
    lines.push(paint(1, 'OctoLab microVM doctor'), `${TOOL_NAME} ${TOOL_VERSION}, generated ${report.generated_at}, runtime ${report.runtime}${report.strict ? ', strict' : ''}`, '');
    lines.push('host:');
    const keys = Object.keys(report.host);
    const width = Math.max(0, ...keys.map((k) => k.length));
    for (const key of keys) lines.push(`  ${key.padEnd(width)}  ${report.host[key]}`);
    lines.push('', 'checks:');
  }
  const shown = options.quiet ? report.checks.filter((c) => ['FAIL', 'WARN'].includes(statusLabel(c))) : report.checks;
  if (options.quiet && shown.length === 0 && report.exit_code === 0) return '';
  const nameWidth = Math.max(0, ...shown.map((c) => c.name.length));
  const indent = ' '.repeat(2 + 4 + 2 + nameWidth + 2);
  for (const entry of shown) {
    const label = statusLabel(entry);
    lines.push(`  ${paint(COLOURS[label], label.padEnd(4))}  ${entry.name.padEnd(nameWidth)}  ${entry.details}`);
    if (entry.hint && label !== 'OK') lines.push(...renderFix(indent, entry.hint, options.width));
  }
  const overall = report.fatal_count > 0 ? 31 : report.exit_code !== 0 || report.warn_count > 0 ? 33 : 32;
  lines.push('', paint(overall, report.summary));
  lines.push(`${report.fatal_count} fatal, ${report.warn_count} warning(s); ${options.closing ?? describeExit(report)}`);
  return `${lines.join('\n')}\n`;
}

/** The fix under a check: `fix: …`, wrapped under itself when a width is given. */
function renderFix(indent: string, hint: string, width: number | undefined): string[] {
  if (width === undefined) return [`${indent}fix: ${hint}`];
  return wrapIndented(`${indent}fix: `, hint, width);
}
