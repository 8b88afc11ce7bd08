import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/index.ts';
import { runForeground } from '../../host/foreground.ts';
import { createRealHost } from '../../host/real-host.ts';
import type { Host } from '../../host/types.ts';
import { renderVerifySummary } from '../../verify/render-summary.ts';
import { runVerify, type VerifyOptions } from '../../verify/run-verify.ts';
import { renderVerifyJson } from '../../verify/verify-json.ts';
import type { SuiteRunner } from '../../verify/suite-run.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { parseCommandArgs } from '../parse-args.ts';
import { hostGateMessage } from '../root-gate.mjs';
import { shouldColour } from './doctor.ts';

const USAGE = `octolab-verify verify [--no-suites] [--reports DIR] [--strict] [--env-file PATH] [--json]

  --no-suites      run the doctor only (no root needed)
  --reports DIR    where doctor.json, junit-doctor.xml, junit-host.xml and verify.json go
                   (default: reports/ in this project's directory)
  --strict         a doctor warning fails the run too (exit 3)
  --env-file PATH  read settings from PATH instead of backend/.env.local (the environment wins)
  --json           print the outcome as JSON on stdout (verdict, doctor summary, each suite's
                   counts, the stage timeline); everything else goes to stderr. The same JSON is
                   always written to verify.json in the reports directory

The main job: runs the doctor on this host, then the host suites (vitest run --project host; as
root), whatever the doctor found, and ends with a summary of what is missing and how to fix it.
exit codes: 0 ready and every host suite passed, 1 a host suite failed (or wrote no report),
            2 a fatal doctor check failed, 3 --strict and a check warned, 64 usage error,
            78 configuration error`;

/** This project's directory: vitest runs here, and the reports go here by default. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs this project's vitest on the host project, in the foreground (its output is the user's). */
export const realSuiteRunner: SuiteRunner = ({ cwd, env, signal, stdoutToStderr }) =>
  runForeground(path.join(cwd, 'node_modules', '.bin', 'vitest'), ['run', '--project', 'host'], { cwd, env, signal, stdoutToStderr });

/** What the command needs from outside; tests pass fakes. */
export interface VerifyCommandDeps {
  host?: Host;
  runner?: SuiteRunner;
  packageRoot?: string;
  clock?: VerifyOptions['clock'];
  gatherFacts?: VerifyOptions['gatherFacts'];
}

/** Runs `verify`: the doctor, then the host suites, then the summary; returns the exit code. */
export async function runVerifyCommand(io: CliIo, args: readonly string[], deps: VerifyCommandDeps = {}): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      'no-suites': { type: 'boolean' },
      reports: { type: 'string' },
      strict: { type: 'boolean' },
      'env-file': { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  // With --json, stdout carries the JSON alone: the doctor's text, the suites and the summary go to stderr.
  const text = values.json ? io.stderr : io.stdout;
  const host = deps.host ?? createRealHost(io.env);
  const suites = values['no-suites'] !== true;
  const refusal = suites ? hostGateMessage(host.users.effectiveUid(), 'pnpm verify') : null;
  if (refusal) {
    io.stderr.write(`${refusal}\n(or run the doctor alone, as any user: pnpm verify --no-suites)\n`);
    return EXIT.failed;
  }
  const packageRoot = deps.packageRoot ?? PACKAGE_ROOT;
  const reportsDir = path.resolve(io.cwd, values.reports ?? path.join(packageRoot, 'reports'));
  const loaded = await loadConfig({ env: io.env, fs: host.fs, cwd: io.cwd, envFile: values['env-file'] });
  const outcome = await runVerify({
    host,
    config: loaded.config,
    sources: loaded.sources,
    strict: values.strict ?? false,
    suites,
    reportsDir,
    packageRoot,
    runner: deps.runner ?? realSuiteRunner,
    env: io.env,
    write: (chunk) => text.write(chunk),
    suitesToStderr: values.json === true,
    color: shouldColour({ stdout: text, env: io.env }),
    signal: io.signal,
    clock: deps.clock,
    gatherFacts: deps.gatherFacts,
  });
  // Started through sudo → advise sudo again; a root shell has no need (and maybe no sudo).
  const rerun = suites ? `${io.env.SUDO_UID ? 'sudo ' : ''}pnpm verify` : 'pnpm verify --no-suites';
  text.write(renderVerifySummary({ ...outcome, rerun }));
  if (values.json) io.stdout.write(renderVerifyJson(outcome));
  return outcome.exitCode;
}

/** The `verify` subcommand for the CLI's table. */
export const command: Command = {
  name: 'verify',
  summary: 'The main job: the doctor on this host, then the host suites, then what is missing and how to fix it.',
  usage: USAGE,
  run: (io, args) => runVerifyCommand(io, args),
};
