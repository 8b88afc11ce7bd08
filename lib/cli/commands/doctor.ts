import path from 'node:path';
import { createRealHost } from '../../host/real-host.ts';
import type { Host } from '../../host/types.ts';
import { gatherHintEnvironment, type HintEnvironment } from '../../doctor/hint-environment.ts';
import { answersUnknown, exitCodeFor } from '../../doctor/outputs/exit-scheme.ts';
import { FORMAT_DESCRIPTION, planOutputs, stdoutFormat, type OutputSpec } from '../../doctor/outputs/format-spec.ts';
import { answerPluginErrors } from '../../doctor/outputs/plugin-errors.ts';
import { showOutputs } from '../../doctor/outputs/show-outputs.ts';
import { runDoctor, type RunDoctorOptions } from '../../doctor/run-doctor.ts';
import { reportTargetProblem } from '../../host/report-file.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { DOTENV_OPTION, flag, parseOptions, stringValue, usageError, type CommandSpec } from '../options.ts';
import { loadSettings } from '../settings.ts';
import { shouldColour, textWidth } from '../terminal.ts';

export { shouldColour } from '../terminal.ts';

/** Where the doctor's help is, at the end of every usage error. */
const SEE_HELP = 'see `octolab-verify doctor --help`';

/** The doctor's options and help. */
export const spec: CommandSpec = {
  name: 'doctor',
  summary: 'Check this host for every microVM prerequisite (KVM, firecracker, jailer, images, state dir, vsock, netd); no root needed.',
  synopsis: ['doctor [--json] [--junit FILE] [--format NAME[:FILE]]... [--strict] [--quiet] [--dotenv PATH]'],
  description: [
    'Runs every check and prints one line per check, with the fix under each that failed, then the verdict. It changes nothing on the host. Fix what it names, then run it again. docs/doctor.md explains every finding.',
  ],
  options: [
    { name: 'json', type: 'boolean', description: "Print the report as JSON instead of text: upstream's doctor shape (ok, checks, summary, generated_at, fatal_count, warn_count), plus this tool's additions." },
    { name: 'junit', type: 'string', value: 'FILE', description: 'Also write the report as JUnit XML to FILE (atomically: a temp file renamed into place; its directory is created). FILE is checked before the doctor runs.' },
    { name: 'format', type: 'string', value: 'NAME[:FILE]', multiple: true, description: FORMAT_DESCRIPTION },
    { name: 'strict', type: 'boolean', description: 'A warning fails the run too (exit 3).' },
    { name: 'quiet', type: 'boolean', description: 'Print only the checks that failed or warned, with their fixes, and the verdict; nothing when every check passed.' },
    DOTENV_OPTION,
  ],
  exitCodes: [0, 1, 2, 3, 64, 78],
  exitNotes: {
    0: 'no fatal check failed (the host can run labs; warnings may remain)',
    1: 'the checks ran, but a report file (--junit, --format NAME:FILE) could not be written (the closing line says so); with --format nagios on stdout: WARNING, with npd: not ready',
    3: '--strict, and a doctor check warned; with --format nagios or npd on stdout: UNKNOWN, the doctor could not run (the reason is on stderr)',
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

/** An example file name for each format, for "name a file inside it" advice. */
function exampleName(output: OutputSpec): string {
  return output.format === 'junit' ? 'junit-doctor.xml' : output.format === 'prometheus' ? 'octolab.prom' : `doctor.${output.format === 'text' ? 'txt' : output.format}`;
}

/**
 * Checks every report file (--junit, --format NAME:FILE) before anything runs: each is one usage
 * error naming the option, the file and what is wrong with it.
 */
export async function checkOutputTargets(command: string, outputs: readonly OutputSpec[], junit: string | undefined, cwd: string): Promise<void> {
  for (const output of outputs) {
    if (output.file === null) continue;
    const option = output.format === 'junit' && output.file === junit ? `--junit ${output.file}` : `--format ${output.format}:${output.file}`;
    const problem = await reportTargetProblem(path.resolve(cwd, output.file), exampleName(output));
    if (problem) throw usageError(command, `${option}: ${problem}`);
  }
}

/**
 * Runs `doctor`: config (env + env file) → host → checks → one report, rendered in every format
 * asked (lib/doctor/outputs: text or JSON by default, --junit, --format). Every report file is
 * checked before the checks run and written before anything is printed, so the verdict printed
 * stays true. Returns the exit code of the format on stdout (the doctor's own 0, 2, 3 unless that
 * is nagios or npd), or 1 when a report file could not be written after all.
 */
export async function runDoctorCommand(io: CliIo, args: readonly string[], deps: DoctorCommandDeps = {}): Promise<number> {
  return answerPluginErrors(io, args, () => runDoctorOnce(io, args, deps));
}

async function runDoctorOnce(io: CliIo, args: readonly string[], deps: DoctorCommandDeps): Promise<number> {
  const { values } = parseOptions(spec, args);
  const junit = stringValue(values, 'junit');
  const outputs = planOutputs({ formats: (values.format as string[] | undefined) ?? [], json: flag(values, 'json'), junit }, SEE_HELP);
  await checkOutputTargets('doctor', outputs, junit, io.cwd);
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
  const failures = await showOutputs(io, outputs, report, { color: shouldColour(io), width: textWidth(io), quiet: flag(values, 'quiet') });
  for (const failure of failures) io.stderr.write(`octolab-verify doctor: ${failure.line}\n`);
  const onStdout = stdoutFormat(outputs);
  // A monitoring plugin's caller reads its state from stdout; everyone else learns of the lost file from exit 1.
  if (failures.length > 0 && !answersUnknown(onStdout)) return EXIT.failed;
  return exitCodeFor(onStdout, report);
}

/** The `doctor` subcommand for the CLI's table. */
export const command: Command = {
  name: 'doctor',
  summary: spec.summary,
  spec,
  run: (io, args) => runDoctorCommand(io, args),
};
