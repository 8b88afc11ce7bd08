import { loadConfig } from '../../config/index.ts';
import { createRealHost } from '../../host/real-host.ts';
import type { Host } from '../../host/types.ts';
import { exitCodeFor } from '../../doctor/outputs/exit-scheme.ts';
import { FORMAT_USAGE, planOutputs, stdoutFormat } from '../../doctor/outputs/format-spec.ts';
import { answerPluginErrors } from '../../doctor/outputs/plugin-errors.ts';
import { showOutputs } from '../../doctor/outputs/show-outputs.ts';
import { runDoctor, type RunDoctorOptions } from '../../doctor/run-doctor.ts';
import type { CliIo, Command } from '../io.ts';
import { parseCommandArgs } from '../parse-args.ts';

const USAGE = `octolab-verify doctor [--json] [--junit FILE] [--strict] [--env-file PATH] [--format NAME[:FILE]]...

  --json           print the report as JSON (the upstream doctor shape, plus additions)
  --junit FILE     also write the report as JUnit XML to FILE (atomically)
  --strict         a warning fails the run too (exit 3)
  --env-file PATH  read settings from PATH instead of backend/.env.local (the environment wins)
${FORMAT_USAGE}

exit codes: 0 no fatal check failed, 2 a fatal check failed, 3 --strict and a check warned,
            64 usage error, 78 configuration error`;

/** What the command needs from outside; tests pass a FakeHost and a fixed clock. */
export interface DoctorCommandDeps {
  host?: Host;
  clock?: RunDoctorOptions['clock'];
  gatherFacts?: RunDoctorOptions['gatherFacts'];
}

/** True when the text may carry colour: a TTY, NO_COLOR unset or empty, and not a dumb terminal. */
export function shouldColour(io: Pick<CliIo, 'stdout' | 'env'>): boolean {
  return Boolean(io.stdout.isTTY) && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
}

/**
 * Runs `doctor`: config (env + env file) → host → checks → one report, rendered in every format
 * asked (lib/doctor/outputs: text or JSON by default, --junit, --format); returns the exit code
 * of the format on stdout (the doctor's own 0, 2, 3 unless that is nagios or npd).
 */
export async function runDoctorCommand(io: CliIo, args: readonly string[], deps: DoctorCommandDeps = {}): Promise<number> {
  return answerPluginErrors(io, args, () => runDoctorOnce(io, args, deps));
}

async function runDoctorOnce(io: CliIo, args: readonly string[], deps: DoctorCommandDeps): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      json: { type: 'boolean' },
      junit: { type: 'string' },
      format: { type: 'string', multiple: true },
      strict: { type: 'boolean' },
      'env-file': { type: 'string' },
    },
    USAGE,
  );
  const outputs = planOutputs({ formats: values.format ?? [], json: values.json, junit: values.junit }, USAGE);
  const host = deps.host ?? createRealHost(io.env);
  const loaded = await loadConfig({ env: io.env, fs: host.fs, cwd: io.cwd, envFile: values['env-file'] });
  const report = await runDoctor({
    host,
    config: loaded.config,
    sources: loaded.sources,
    strict: values.strict ?? false,
    clock: deps.clock,
    gatherFacts: deps.gatherFacts,
  });
  await showOutputs(io, outputs, report, shouldColour(io));
  return exitCodeFor(stdoutFormat(outputs), report);
}

/** The `doctor` subcommand for the CLI's table. */
export const command: Command = {
  name: 'doctor',
  summary: 'Check this host for every microVM prerequisite (KVM, firecracker, jailer, images, state dir, vsock, netd).',
  usage: USAGE,
  run: (io, args) => runDoctorCommand(io, args),
};
