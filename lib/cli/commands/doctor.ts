import path from 'node:path';
import { loadConfig } from '../../config/index.ts';
import { createRealHost } from '../../host/real-host.ts';
import type { Host } from '../../host/types.ts';
import { renderDoctorJson } from '../../doctor/render-json.ts';
import { renderDoctorJUnit } from '../../doctor/render-junit.ts';
import { renderDoctorText } from '../../doctor/render-text.ts';
import { runDoctor, type RunDoctorOptions } from '../../doctor/run-doctor.ts';
import { writeReportFile } from '../../host/report-file.ts';
import type { CliIo, Command } from '../io.ts';
import { parseCommandArgs } from '../parse-args.ts';

const USAGE = `octolab-verify doctor [--json] [--junit FILE] [--strict] [--env-file PATH]

  --json           print the report as JSON (the upstream doctor shape, plus additions)
  --junit FILE     also write the report as JUnit XML to FILE (atomically)
  --strict         a warning fails the run too (exit 3)
  --env-file PATH  read settings from PATH instead of backend/.env.local (the environment wins)

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
 * Runs `doctor`: config (env + env file) → host → checks → one report, printed as text or JSON
 * and optionally written as JUnit; returns the report's exit code (0, 2, or 3 with --strict).
 */
export async function runDoctorCommand(io: CliIo, args: readonly string[], deps: DoctorCommandDeps = {}): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      json: { type: 'boolean' },
      junit: { type: 'string' },
      strict: { type: 'boolean' },
      'env-file': { type: 'string' },
    },
    USAGE,
  );
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
  io.stdout.write(values.json ? renderDoctorJson(report) : renderDoctorText(report, { color: shouldColour(io) }));
  if (values.junit !== undefined) {
    const file = path.resolve(io.cwd, values.junit);
    await writeReportFile(file, renderDoctorJUnit(report), io.env);
    io.stderr.write(`doctor: JUnit report written to ${file}\n`);
  }
  return report.exit_code;
}

/** The `doctor` subcommand for the CLI's table. */
export const command: Command = {
  name: 'doctor',
  summary: 'Check this host for every microVM prerequisite (KVM, firecracker, jailer, images, state dir, vsock, netd).',
  usage: USAGE,
  run: (io, args) => runDoctorCommand(io, args),
};
