import path from 'node:path';
import { ConfigError, VerifyError } from '../../errors.ts';
import { gatherHintEnvironment, type HintEnvironment } from '../../doctor/hint-environment.ts';
import { runForeground } from '../../host/foreground.ts';
import { createRealHost } from '../../host/real-host.ts';
import { reportTargetProblem } from '../../host/report-file.ts';
import type { Host } from '../../host/types.ts';
import { PACKAGE_ROOT } from '../../package-paths.ts';
import { renderVerifySummary } from '../../verify/render-summary.ts';
import { runVerify, type VerifyOptions } from '../../verify/run-verify.ts';
import { renderVerifyJson } from '../../verify/verify-json.ts';
import type { SuiteRunner } from '../../verify/suite-run.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { DOTENV_OPTION, flag, parseOptions, stringValue, usageError, type CommandSpec } from '../options.ts';
import { hostGateMessage } from '../root-gate.mjs';
import { loadSettings } from '../settings.ts';
import { shouldColour, textWidth } from '../terminal.ts';

export { PACKAGE_ROOT } from '../../package-paths.ts';

/** The main job's options and help. */
export const spec: CommandSpec = {
  name: 'verify',
  summary: 'The main job: the doctor on this host, then the host suites, then what is missing and how to fix it.',
  synopsis: ['verify [--no-suites] [--reports DIR] [--strict] [--quiet] [--json] [--dotenv PATH]'],
  description: [
    'Runs the doctor (text on the terminal; doctor.json and junit-doctor.xml in the reports directory), then the host suites (vitest run --project host, as root) whatever the doctor found, and ends with a short summary: what failed, where the reports are, what to run next. The outcome (verdict, doctor summary, each suite\'s counts, the phase timeline) is also written as JSON to verify.json in the reports directory.',
    'The host suites need root: run `sudo pnpm verify` (or `sudo env "PATH=$PATH" pnpm verify` when node lives in your home directory). Without root, --no-suites runs the doctor alone.',
  ],
  options: [
    { name: 'no-suites', type: 'boolean', description: 'Run the doctor only (no root needed); the reports are still written.' },
    { name: 'reports', type: 'string', value: 'DIR', description: 'Where doctor.json, junit-doctor.xml, junit-host.xml and verify.json go (default: reports/ in this checkout). Created if missing; checked before anything runs.' },
    { name: 'strict', type: 'boolean', description: 'A doctor warning fails the run too (exit 3).' },
    { name: 'quiet', type: 'boolean', description: "Failures only: the doctor's failed and warned checks, the host suites as dots with only failing tests' output, and the summary." },
    { name: 'json', type: 'boolean', description: "Print the outcome as JSON on stdout (the same JSON as verify.json: verdict, doctor summary, each suite's counts, the stage timeline); the doctor's text, the suites' output and the summary go to stderr." },
    DOTENV_OPTION,
  ],
  exitCodes: [0, 1, 2, 3, 64, 78, 130],
  exitNotes: {
    0: 'the doctor found nothing fatal and every host suite passed',
    1: 'a host suite failed (or wrote no report), or the reports could not be written',
    130: 'interrupted (SIGINT/SIGTERM) while the host suites ran',
  },
};

/** Runs this project's vitest on the host project, in the foreground (its output is the user's, on stderr under --json). */
export const realSuiteRunner: SuiteRunner = ({ cwd, env, signal, quiet, stdoutToStderr }) =>
  runForeground(path.join(cwd, 'node_modules', '.bin', 'vitest'), ['run', '--project', 'host', ...(quiet ? QUIET_VITEST : [])], { cwd, env, signal, stdoutToStderr });

/** vitest's flags for --quiet; the JUnit reporter is named again, since --reporter replaces the configured ones. */
const QUIET_VITEST = ['--reporter=dot', '--reporter=./suites/support/junit-reporter.ts', '--silent=passed-only', '--hideSkippedTests'];

/** What the command needs from outside; tests pass fakes. */
export interface VerifyCommandDeps {
  host?: Host;
  runner?: SuiteRunner;
  packageRoot?: string;
  clock?: VerifyOptions['clock'];
  gatherFacts?: VerifyOptions['gatherFacts'];
  hintEnvironment?: HintEnvironment;
}

/** Refuses an OCTOLAB_VERIFY_REQUIRE the host suites would refuse, before anything runs. */
async function checkRequireVariable(env: CliIo['env']): Promise<void> {
  const { parseRequired } = await import('../../../suites/support/capabilities.ts');
  try {
    parseRequired(env.OCTOLAB_VERIFY_REQUIRE);
  } catch (error) {
    throw new ConfigError({ code: 'CONFIG_INVALID', summary: `invalid configuration: ${(error as Error).message}` });
  }
}

/** Checks the reports directory before anything runs: it can be created and written. */
async function checkReportsDir(dir: string, fromFlag: boolean): Promise<void> {
  const problem = await reportTargetProblem(path.join(dir, 'doctor.json'));
  if (problem === null) return;
  if (fromFlag) throw usageError('verify', `--reports ${dir}: ${problem}`);
  throw new VerifyError({ code: 'REPORTS_DIR_UNUSABLE', summary: `cannot write the reports to ${dir}: ${problem}`, hint: 'pass --reports DIR, a directory you can write' });
}

/** Runs `verify`: the doctor, then the host suites, then the summary; returns the exit code. */
export async function runVerifyCommand(io: CliIo, args: readonly string[], deps: VerifyCommandDeps = {}): Promise<number> {
  const { values } = parseOptions(spec, args);
  await checkRequireVariable(io.env);
  const json = flag(values, 'json');
  // With --json, stdout carries the JSON alone: the doctor's text, the suites and the summary go to stderr.
  const text = json ? io.stderr : io.stdout;
  const host = deps.host ?? createRealHost(io.env);
  const suites = !flag(values, 'no-suites');
  const refusal = suites ? hostGateMessage(host.users.effectiveUid(), 'pnpm verify') : null;
  if (refusal) {
    io.stderr.write(`${refusal}\n(or run the doctor alone, as any user: pnpm verify --no-suites)\n`);
    return EXIT.failed;
  }
  const packageRoot = deps.packageRoot ?? PACKAGE_ROOT;
  const reports = stringValue(values, 'reports');
  if (reports !== undefined && reports.trim() === '') throw usageError('verify', '--reports needs a directory, got an empty string');
  const reportsDir = path.resolve(io.cwd, reports ?? path.join(packageRoot, 'reports'));
  await checkReportsDir(reportsDir, reports !== undefined);
  const loaded = await loadSettings(io, 'verify', host, stringValue(values, 'dotenv'));
  const outcome = await runVerify({
    host,
    config: loaded.config,
    sources: loaded.sources,
    strict: flag(values, 'strict'),
    quiet: flag(values, 'quiet'),
    suites,
    reportsDir,
    packageRoot,
    runner: deps.runner ?? realSuiteRunner,
    env: io.env,
    write: (chunk) => text.write(chunk),
    suitesToStderr: json,
    color: shouldColour({ stdout: text, env: io.env }),
    width: textWidth({ stdout: text, env: io.env }),
    signal: io.signal,
    clock: deps.clock,
    gatherFacts: deps.gatherFacts,
    hintEnvironment: deps.hintEnvironment ?? (deps.host ? undefined : await gatherHintEnvironment(host, { nodePath: process.execPath })),
  });
  // Started through sudo → advise sudo again; a root shell has no need (and maybe no sudo).
  const rerun = suites ? `${io.env.SUDO_UID ? 'sudo ' : ''}pnpm verify` : 'pnpm verify --no-suites';
  text.write(renderVerifySummary({ ...outcome, rerun }));
  if (outcome.reportError) io.stderr.write(`octolab-verify verify: ${outcome.reportError}\n`);
  // The JSON is printed only when verify.json holds it: a run that could not write its reports has none.
  else if (json) io.stdout.write(renderVerifyJson(outcome));
  return outcome.exitCode;
}

/** The `verify` subcommand for the CLI's table. */
export const command: Command = {
  name: 'verify',
  summary: spec.summary,
  spec,
  run: (io, args) => runVerifyCommand(io, args),
};
