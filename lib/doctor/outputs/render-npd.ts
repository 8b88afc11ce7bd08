import { clip } from '../verdict.ts';
import type { DoctorReport } from '../report.ts';
import { npdProblem } from './exit-scheme.ts';
import { phrasesOf, tallyChecks } from './tally.ts';

/**
 * Renders the report as a node-problem-detector custom plugin's answer: one line on stdout that
 * becomes the node condition's message. NPD keeps only the first max_output_length bytes (80 by
 * default), so the verdict and the failing checks' names come first, details after. Pure.
 */
export function renderNpd(report: DoctorReport): string {
  const t = tallyChecks(report);
  if (!npdProblem(report)) return `ready: ${t.passed} of ${t.total} checks passed${t.warnings ? `, ${t.warnings} warning(s)` : ''}\n`;
  const failing = report.fatal_count > 0 ? phrasesOf(report, 'fatal', 100) : phrasesOf(report, 'warnings', 100);
  const names = failing.map((p) => p.slice(0, p.indexOf(':')));
  const why = report.fatal_count > 0 ? 'failed' : 'warned (--strict)';
  return `${clip(`not ready: ${names.join(', ')} ${why}: ${failing.join('; ')}`, 1000)}\n`;
}

/** The answer when the doctor could not run: one line, for an exit code NPD reads as unknown. */
export function renderNpdUnknown(message: string): string {
  return `${clip(`unknown: the doctor could not run: ${message.split('\n')[0] ?? ''}`, 1000)}\n`;
}
