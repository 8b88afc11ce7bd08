import path from 'node:path';
import { VerifyError, describeError, renderErrorLine } from '../../errors.ts';
import { writeReportFile } from '../../host/report-file.ts';
import { renderDoctorJson } from '../render-json.ts';
import { renderDoctorJUnit } from '../render-junit.ts';
import { renderDoctorText, type TextOptions } from '../render-text.ts';
import type { DoctorReport } from '../report.ts';
import type { Format, OutputSpec } from './format-spec.ts';
import { renderNagios } from './render-nagios.ts';
import { renderNpd } from './render-npd.ts';

/** How each format is named in "… written to FILE" messages. */
const LABELS: Record<Format, string> = { text: 'text', json: 'JSON', junit: 'JUnit', prometheus: 'Prometheus', nagios: 'Nagios', tap: 'TAP', npd: 'node-problem-detector' };

/**
 * Renders the report in one format; `text` options (colour, width, quiet, closing) apply to text
 * only. The prometheus and TAP renderers are loaded when asked for (TAP's YAML blocks need the
 * yaml package, which the doctor's start path must not load).
 */
export async function renderFormat(format: Format, report: DoctorReport, text: TextOptions): Promise<string> {
  switch (format) {
    case 'text':
      return renderDoctorText(report, text);
    case 'json':
      return renderDoctorJson(report);
    case 'junit':
      return renderDoctorJUnit(report);
    case 'prometheus':
      return (await import('./render-prometheus.ts')).renderPrometheus(report);
    case 'nagios':
      return renderNagios(report);
    case 'tap':
      return (await import('./render-tap.ts')).renderTap(report);
    case 'npd':
      return renderNpd(report);
  }
}

/** Where outputs go: stdout and stderr streams, the working directory, the environment (sudo owner). */
export interface OutputSink {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** How text is shown on stdout: colour and width from the terminal, --quiet. */
export interface ShowOptions {
  color: boolean;
  width?: number;
  quiet?: boolean;
}

/** A report file that could not be written: its format and the one line saying why. */
export interface OutputFailure {
  format: Format;
  line: string;
}

/**
 * Writes every output: files first, each atomically (temp file + rename in its directory) and
 * announced on stderr, then stdout, so what stdout says stays true. A file that cannot be written
 * does not stop the others; it is returned (the text on stdout closes by saying so), and the
 * caller reports it and decides the exit code. Colour and width apply to text on stdout only;
 * --quiet to text anywhere.
 */
export async function showOutputs(sink: OutputSink, outputs: readonly OutputSpec[], report: DoctorReport, options: ShowOptions): Promise<OutputFailure[]> {
  const failures: OutputFailure[] = [];
  for (const output of outputs) {
    if (output.file === null) continue;
    const file = path.resolve(sink.cwd, output.file);
    try {
      await writeReportFile(file, await renderFormat(output.format, report, { color: false, quiet: options.quiet }), sink.env);
      sink.stderr.write(`doctor: ${LABELS[output.format]} report written to ${file}\n`);
    } catch (error) {
      failures.push({ format: output.format, line: error instanceof VerifyError ? renderErrorLine(error) : describeError(error) });
    }
  }
  const onStdout = outputs.find((o) => o.file === null);
  const closing = failures.length === 0 ? undefined : `exit 1: ${renderUnwritten(failures)} (the checks above stand)`;
  if (onStdout) sink.stdout.write(await renderFormat(onStdout.format, report, { color: options.color, width: options.width, quiet: options.quiet, closing }));
  return failures;
}

/** "the JUnit report was not written", "the JUnit and TAP reports were not written". */
function renderUnwritten(failures: readonly OutputFailure[]): string {
  const labels = failures.map((f) => LABELS[f.format]);
  if (labels.length === 1) return `the ${labels[0]} report was not written`;
  return `the ${labels.slice(0, -1).join(', ')} and ${labels.at(-1)} reports were not written`;
}
