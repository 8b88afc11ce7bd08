import path from 'node:path';
import { writeReportFile } from '../../host/report-file.ts';
import { renderDoctorJson } from '../render-json.ts';
import { renderDoctorJUnit } from '../render-junit.ts';
import { renderDoctorText } from '../render-text.ts';
import type { DoctorReport } from '../report.ts';
import type { Format, OutputSpec } from './format-spec.ts';
import { renderNagios } from './render-nagios.ts';
import { renderNpd } from './render-npd.ts';
import { renderTap } from './render-tap.ts';

/** How each format is named in "… written to FILE" messages. */
const LABELS: Record<Format, string> = { text: 'text', json: 'JSON', junit: 'JUnit', prometheus: 'Prometheus', nagios: 'Nagios', tap: 'TAP', npd: 'node-problem-detector' };

/** Renders the report in one format. Colour only for text on a terminal; the prometheus renderer is loaded when asked for. */
export async function renderFormat(format: Format, report: DoctorReport, options: { color: boolean }): Promise<string> {
  switch (format) {
    case 'text':
      return renderDoctorText(report, options);
    case 'json':
      return renderDoctorJson(report);
    case 'junit':
      return renderDoctorJUnit(report);
    case 'prometheus':
      return (await import('./render-prometheus.ts')).renderPrometheus(report);
    case 'nagios':
      return renderNagios(report);
    case 'tap':
      return renderTap(report);
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

/**
 * Writes every output: files first, each atomically (temp file + rename in its directory), then
 * stdout; each file is announced on stderr. `color` applies to text on stdout only.
 */
export async function showOutputs(sink: OutputSink, outputs: readonly OutputSpec[], report: DoctorReport, color: boolean): Promise<void> {
  for (const output of outputs) {
    if (output.file === null) continue;
    const file = path.resolve(sink.cwd, output.file);
    await writeReportFile(file, await renderFormat(output.format, report, { color: false }), sink.env);
    sink.stderr.write(`doctor: ${LABELS[output.format]} report written to ${file}\n`);
  }
  const onStdout = outputs.find((o) => o.file === null);
  if (onStdout) sink.stdout.write(await renderFormat(onStdout.format, report, { color }));
}
