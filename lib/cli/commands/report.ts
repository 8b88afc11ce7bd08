import path from 'node:path';
import { reportTargetProblem, writeReportFile } from '../../host/report-file.ts';
import { realReportFiles } from '../../host/report-inputs.ts';
import { collectHosts } from '../../report/collect.ts';
import { buildFleet } from '../../report/fleet.ts';
import type { ReportFiles } from '../../report/ports.ts';
import { renderFleetHtml } from '../../report/render-html.ts';
import { renderCountsLine, renderFleetMarkdown } from '../../report/render-markdown.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { parseOptions, stringValue, usageError, type CommandSpec } from '../options.ts';

/** The fleet report's options and help. */
export const spec: CommandSpec = {
  name: 'report',
  summary: "Merge many hosts' reports (doctor, boot, verify JSON, JUnit) into one fleet view: Markdown and a self-contained HTML page.",
  synopsis: ['report [--markdown FILE] [--html FILE] [--title TEXT] PATH...'],
  description: [
    'PATH is a directory of one host\'s reports (doctor.json, boot.json, verify.json, junit-*.xml), a directory of such directories (e.g. the CI matrix\'s downloaded artifacts, one per host), or report files; a host is named after its directory. The Markdown shows hosts × checks, what to fix and each boot\'s timeline.',
    'The exit code says whether the report was written, whatever the hosts\' verdicts: their own jobs fail. To append to a GitHub job summary: report DIR >> "$GITHUB_STEP_SUMMARY".',
  ],
  options: [
    { name: 'markdown', type: 'string', value: 'FILE', description: 'Write the Markdown to FILE, atomically, instead of stdout (- is stdout). FILE is checked before any report is read.' },
    { name: 'html', type: 'string', value: 'FILE', description: 'Also write one self-contained HTML page (no script, no external assets) with the matrix and each boot\'s stage waterfall, atomically. FILE is checked before any report is read.' },
    { name: 'title', type: 'string', value: 'TEXT', description: 'The heading of both (default "OctoLab fleet report").' },
  ],
  exitCodes: [0, 1, 64],
  exitNotes: {
    0: 'the report was written (whatever the hosts\' verdicts)',
    1: 'the Markdown or HTML file could not be written after all; the message says why',
    64: 'a bad argument, an output file that cannot be written, or an input that is missing, unreadable or not a report',
  },
  positionals: true,
};

/** Checks an output file (--markdown, --html) before any input is read; returns its absolute path. */
async function outputTarget(option: string, value: string | undefined, cwd: string, example: string): Promise<string | undefined> {
  if (value === undefined || (option === 'markdown' && value === '-')) return undefined;
  if (value.trim() === '') throw usageError('report', `--${option} needs a file path, got an empty string`);
  const file = path.resolve(cwd, value);
  const problem = await reportTargetProblem(file, example);
  if (problem) throw usageError('report', `--${option} ${value}: ${problem}`);
  return file;
}

/** What the command takes from outside; tests may pass their own file reader. */
export interface ReportCommandDeps {
  files?: ReportFiles;
}

/** Runs `report`: reads every host's reports, merges them, writes Markdown (stdout or a file) and HTML. */
export async function runReportCommand(io: CliIo, args: readonly string[], deps: ReportCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseOptions(spec, args);
  const htmlFile = await outputTarget('html', stringValue(values, 'html'), io.cwd, 'fleet.html');
  const markdownFile = await outputTarget('markdown', stringValue(values, 'markdown'), io.cwd, 'fleet.md');
  const hosts = await collectHosts(positionals, deps.files ?? realReportFiles, io.cwd);
  const view = buildFleet(hosts);
  const title = stringValue(values, 'title');
  const options = title === undefined ? {} : { title };
  if (htmlFile !== undefined) {
    await writeReportFile(htmlFile, renderFleetHtml(view, options), io.env);
    io.stderr.write(`report: HTML written to ${htmlFile}\n`);
  }
  const markdown = renderFleetMarkdown(view, options);
  if (markdownFile === undefined) {
    io.stdout.write(markdown);
  } else {
    await writeReportFile(markdownFile, markdown, io.env);
    io.stderr.write(`report: Markdown written to ${markdownFile}\n`);
  }
  io.stderr.write(`report: ${renderCountsLine(view)}\n`);
  return EXIT.ok;
}

/** The `report` subcommand for the CLI's table. */
export const command: Command = {
  name: 'report',
  summary: spec.summary,
  spec,
  run: (io, args) => runReportCommand(io, args),
};
