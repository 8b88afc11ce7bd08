import path from 'node:path';
import { writeReportFile } from '../../host/report-file.ts';
import { realReportFiles } from '../../host/report-inputs.ts';
import { collectHosts } from '../../report/collect.ts';
import { buildFleet } from '../../report/fleet.ts';
import type { ReportFiles } from '../../report/ports.ts';
import { renderFleetHtml } from '../../report/render-html.ts';
import { renderCountsLine, renderFleetMarkdown } from '../../report/render-markdown.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { parseCommandArgs } from '../parse-args.ts';

const USAGE = `octolab-verify report [--markdown FILE] [--html FILE] [--title TEXT] PATH...

  PATH             a directory of one host's reports (doctor.json, boot.json, verify.json,
                   junit-*.xml), a directory of such directories (e.g. the CI matrix's downloaded
                   artifacts, one per host), or report files; a host is named after its directory
  --markdown FILE  write the Markdown (hosts × checks, what to fix, timelines) to FILE,
                   atomically, instead of stdout (e.g. "$GITHUB_STEP_SUMMARY" is appended to
                   with: report DIR >> "$GITHUB_STEP_SUMMARY")
  --html FILE      also write one self-contained HTML page (no script, no external assets) with
                   the matrix and each boot's stage waterfall, atomically
  --title TEXT     the heading of both (default "OctoLab fleet report")

exit codes: 0 the report was written (whatever the hosts' verdicts: their own jobs fail),
            64 a bad argument, or an input that is missing, unreadable or not a report`;

/** What the command takes from outside; tests may pass their own file reader. */
export interface ReportCommandDeps {
  files?: ReportFiles;
}

/** Runs `report`: reads every host's reports, merges them, writes Markdown (stdout or a file) and HTML. */
export async function runReportCommand(io: CliIo, args: readonly string[], deps: ReportCommandDeps = {}): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { markdown: { type: 'string' }, html: { type: 'string' }, title: { type: 'string' } }, USAGE, true);
  const hosts = await collectHosts(positionals, deps.files ?? realReportFiles, io.cwd);
  const view = buildFleet(hosts);
  const options = values.title === undefined ? {} : { title: values.title };
  if (values.html !== undefined) {
    const file = path.resolve(io.cwd, values.html);
    await writeReportFile(file, renderFleetHtml(view, options), io.env);
    io.stderr.write(`report: HTML written to ${file}\n`);
  }
  const markdown = renderFleetMarkdown(view, options);
  if (values.markdown === undefined || values.markdown === '-') {
    io.stdout.write(markdown);
  } else {
    const file = path.resolve(io.cwd, values.markdown);
    await writeReportFile(file, markdown, io.env);
    io.stderr.write(`report: Markdown written to ${file}\n`);
  }
  io.stderr.write(`report: ${renderCountsLine(view)}\n`);
  return EXIT.ok;
}

/** The `report` subcommand for the CLI's table. */
export const command: Command = {
  name: 'report',
  summary: "Merge many hosts' reports (doctor, boot, verify JSON, JUnit) into one fleet view: Markdown and a self-contained HTML page.",
  usage: USAGE,
  run: (io, args) => runReportCommand(io, args),
};
