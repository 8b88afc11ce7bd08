import path from 'node:path';
import { DEFAULT_ENV_FILE } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
import { createInstallFs } from '../../host/install-fs.ts';
import { installLayout } from '../../provision/layout.ts';
import type { InstallFs } from '../../provision/ports.ts';
import { planRollback } from '../../provision/rollback.ts';
import { renderPlan, renderPlanError, renderStepReport, runPlan } from '../../provision/run-plan.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { parseCommandArgs } from '../parse-args.ts';

const USAGE = `octolab-verify rollback [--dry-run] [--env-file PATH] [--remove-assets] [--remove-binaries] [--prefix DIR]

  --dry-run          print what would be done and change nothing
  --env-file PATH    the env file (default OCTOLAB_ENV_FILE, else backend/.env.local here)
  --remove-assets    also remove <prefix>/var/lib/octolab/firecracker and <prefix>/var/lib/octolab/microvm
                     (stop labs first: \`octolab-verify cleanup\`)
  --remove-binaries  also remove <prefix>/usr/local/bin/firecracker and jailer
  --prefix DIR       the root prefix setup installed under (default /)

Removes the OCTOLAB MICROVM block in both marker forms ("### BEGIN OCTOLAB MICROVM ###" and upstream's
"# BEGIN OCTOLAB_MICROVM"), keeps every other line, and sets OCTOLAB_RUNTIME=compose (only when the
file exists). The octolab group is left in place.
exit codes: 0 done, 1 a step failed, 64 usage error`;

/** What the command takes from outside. */
export interface RollbackCommandDeps {
  fs?: InstallFs;
  euid?: number;
}

/** Runs `rollback`: the seed's rollback steps as a plan, printed (`--dry-run`) or run. */
export async function runRollbackCommand(io: CliIo, args: readonly string[], deps: RollbackCommandDeps = {}): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      'dry-run': { type: 'boolean' },
      'env-file': { type: 'string' },
      'remove-assets': { type: 'boolean' },
      'remove-binaries': { type: 'boolean' },
      prefix: { type: 'string' },
    },
    USAGE,
  );
  const layout = installLayout(values.prefix === undefined ? '/' : path.resolve(io.cwd, values.prefix));
  const steps = planRollback(
    {
      envFile: path.resolve(io.cwd, values['env-file'] ?? io.env.OCTOLAB_ENV_FILE ?? DEFAULT_ENV_FILE),
      layout,
      removeAssets: values['remove-assets'] === true,
      removeBinaries: values['remove-binaries'] === true,
    },
    deps.fs ?? createInstallFs(),
  );
  if (values['dry-run']) {
    io.stdout.write(renderPlan('octolab-verify rollback: the plan (dry run: nothing is changed)', steps));
    return EXIT.ok;
  }
  const euid = deps.euid ?? process.geteuid?.() ?? -1;
  if (euid !== 0 && layout.prefix === '/' && (values['remove-assets'] || values['remove-binaries'])) {
    throw new UsageError({ code: 'USAGE', summary: '--remove-assets and --remove-binaries remove system files: run rollback as root (sudo)', hint: `usage: ${USAGE}` });
  }
  const result = await runPlan(steps, (report) => io.stdout.write(renderStepReport(report)));
  if (!result.ok) {
    io.stderr.write(`octolab-verify rollback: ${renderPlanError(result.error)}`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

/** The `rollback` subcommand for the CLI's table. */
export const command: Command = {
  name: 'rollback',
  summary: 'remove the .env.local block (both marker forms), set OCTOLAB_RUNTIME=compose; optionally assets and binaries',
  usage: USAGE,
  run: (io, args) => runRollbackCommand(io, args),
};
