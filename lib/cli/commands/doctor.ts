import path from 'node:path';
import { createRealHost } from '../../host/real-host.ts';
import type { Host } from '../../host/types.ts';
import { gatherHintEnvironment, type HintEnvironment } from '../../doctor/hint-environment.ts';
import { renderDoctorJson } from '../../doctor/render-json.ts';
import { renderDoctorJUnit } from '../../doctor/render-junit.ts';
import { renderDoctorText } from '../../doctor/render-text.ts';
import { runDoctor, type RunDoctorOptions } from '../../doctor/run-doctor.ts';
import { describeFailure } from '../run-command.ts';
import { reportTargetProblem, writeReportFile } from '../../host/report-file.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { DOTENV_OPTION, flag, parseOptions, stringValue, usageError, type CommandSpec } from '../options.ts';
import { loadSettings } from '../settings.ts';
import { shouldColour, textWidth } from '../terminal.ts';

export { shouldColour } from '../terminal.ts';

/** The doctor's options and help. */
export const spec: CommandSpec = {
  name: 'doctor',
  summary: 'Check this host for every microVM prerequisite (KVM, firecracker, jailer, images, state dir, vsock, netd); no root needed.',
  synopsis: ['doctor [--json] [--junit FILE] [--strict] [--quiet] [--dotenv PATH]'],
  description: [
    'Runs every check and prints one line per check, with the fix under each that failed, then the verdict. It changes nothing on the host. Fix what it names, then run it again. docs/doctor.md explains every finding.',
  ],
  options: [
    { name: 'json', type: 'boolean', description: "Print the report as JSON instead of text: upstream's doctor shape (ok, checks, summary, generated_at, fatal_count, warn_count), plus this tool's additions." },
    { name: 'junit', type: 'string', value: 'FILE', description: 'Also write the report as JUnit XML to FILE (atomically: a temp file renamed into place; its directory is created). FILE is checked before the doctor runs.' },
    { name: 'strict', type: 'boolean', description: 'A warning fails the run too (exit 3).' },
    { name: 'quiet', type: 'boolean', description: 'Print only the checks that failed or warned, with their fixes, and the verdict; nothing when every check passed.' },
    DOTENV_OPTION,
  ],
  exitCodes: [0, 1, 2, 3, 64, 78],
  exitNotes: {
    0: 'no fatal check failed (the host can run labs; warnings may remain)',
    1: 'the checks ran, but the --junit report could not be written (the closing line says so)',
  },
};

/** What the command needs from outside; tests pass a FakeHost and a fixed clock. */
export interface DoctorCommandDeps {
  host?: Host;
  clock?: RunDoctorOptions['clock'];
  gatherFacts?: RunDoctorOptions['gatherFacts'];
  /** Pinned hint environment (default: gathered from the host). */
  hintEnvironment?: HintEnvironment;
}

/** Checks a --junit FILE before anything runs; returns its absolute path. */
export async function junitTarget(command: string, value: string | undefined, cwd: string): Promise<string | undefined> {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw usageError(command, '--junit needs a file path, got an empty string');
  const file = path.resolve(cwd, value);
  const problem = await reportTargetProblem(file, 'junit-doctor.xml');
  if (problem) throw usageError(command, `--junit ${value}: ${problem}`);
  return file;
}

/**
 * Runs `doctor`: config (env + env file) → host → checks → one report. The JUnit file is written
 * before anything is printed, so the verdict printed is the exit code returned: 0, 2, 3 with
 * --strict, or 1 when the report could not be written after all (the closing line says so).
 */
export async function runDoctorCommand(io: CliIo, args: readonly string[], deps: DoctorCommandDeps = {}): Promise<number> {
  const { values } = parseOptions(spec, args);
  const junit = await junitTarget('doctor', stringValue(values, 'junit'), io.cwd);
  const host = deps.host ?? createRealHost(io.env);
  const loaded = await loadSettings(io, 'doctor', host, stringValue(values, 'dotenv'));
  const report = await runDoctor({
    host,
    config: loaded.config,
    sources: loaded.sources,
    strict: flag(values, 'strict'),
    clock: deps.clock,
    gatherFacts: deps.gatherFacts,
    hintEnvironment: deps.hintEnvironment ?? (deps.host ? undefined : await gatherHintEnvironment(host, { nodePath: process.execPath })),
  });
  let failure: string | null = null;
  if (junit !== undefined) {
    try {
      await writeReportFile(junit, renderDoctorJUnit(report), io.env);
    } catch (error) {
      failure = describeFailure(error).line;
    }
  }
  const closing = failure === null ? undefined : `exit 1: the JUnit report was not written (the checks above stand)`;
  io.stdout.write(flag(values, 'json') ? renderDoctorJson(report) : renderDoctorText(report, { color: shouldColour(io), width: textWidth(io), quiet: flag(values, 'quiet'), closing }));
  if (failure !== null) {
    io.stderr.write(`octolab-verify doctor: ${failure}\n`);
    return EXIT.failed;
  }
  if (junit !== undefined) io.stderr.write(`doctor: JUnit report written to ${junit}\n`);
  return report.exit_code;
}

/** The `doctor` subcommand for the CLI's table. */
export const command: Command = {
  name: 'doctor',
  summary: spec.summary,
  spec,
  run: (io, args) => runDoctorCommand(io, args),
};
