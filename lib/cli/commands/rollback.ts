import path from 'node:path';
import { DEFAULT_ENV_FILE } from '../../config/index.ts';
import { createInstallFs } from '../../host/install-fs.ts';
import { createRealHost } from '../../host/real-host.ts';
import type { Host } from '../../host/types.ts';
import { renderOutputJson } from '../../json-shape.ts';
import { toolJson } from '../../json-style.ts';
import { installLayout } from '../../provision/layout.ts';
import type { InstallFs } from '../../provision/ports.ts';
import { planRollback } from '../../provision/rollback.ts';
import { renderPlan, renderPlanError, renderPlanJson, renderStepReport, runPlan } from '../../provision/run-plan.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { DOTENV_OPTION, flag, parseOptions, stringValue, usageError, type CommandSpec } from '../options.ts';

/** Rollback's options and help. */
export const spec: CommandSpec = {
  name: 'rollback',
  summary: 'Undo setup: the .env.local block (both marker forms, OCTOLAB_RUNTIME=compose), the netd service and the octolab-verify link; optionally assets and binaries.',
  synopsis: ['rollback [--dry-run] [--dotenv PATH] [--remove-assets] [--remove-binaries] [--prefix DIR] [--json]'],
  description: [
    'Removes the OCTOLAB MICROVM block in both marker forms ("### BEGIN OCTOLAB MICROVM ###" and upstream\'s "# BEGIN OCTOLAB_MICROVM"), keeps every other line, and sets OCTOLAB_RUNTIME=compose (only when the file exists). Where setup installed them, it stops, disables and removes the microvm-netd unit and removes the octolab-verify link, each only while it is still what setup put there. The octolab group is left in place.',
  ],
  options: [
    { name: 'dry-run', type: 'boolean', description: 'Print what would be done and change nothing.' },
    { ...DOTENV_OPTION, description: 'The env file to remove the block from (default OCTOLAB_ENV_FILE, else backend/.env.local here). --env-file is the old name: Node 20 itself takes --env-file anywhere on its command line, so it only reaches octolab-verify through the launcher.' },
    { name: 'remove-assets', type: 'boolean', description: 'Also remove <prefix>/var/lib/octolab/firecracker and <prefix>/var/lib/octolab/microvm (stop labs first: `octolab-verify cleanup`).' },
    { name: 'remove-binaries', type: 'boolean', description: 'Also remove <prefix>/usr/local/bin/firecracker and jailer.' },
    { name: 'prefix', type: 'string', value: 'DIR', description: 'The root prefix setup installed under (default /).' },
    { name: 'json', type: 'boolean', description: 'Print the steps and their outcome as JSON at the end instead of a line per step.' },
  ],
  exitCodes: [0, 1, 64],
  exitNotes: {
    0: 'every step is done',
    1: 'a step failed; the message says which and why',
  },
};

/** What the command takes from outside. */
export interface RollbackCommandDeps {
  fs?: InstallFs;
  euid?: number;
  /** Runs systemctl and looks for systemd (default: the real host). */
  host?: Host;
}

/** Runs `rollback`: the seed's rollback steps as a plan, printed (`--dry-run`) or run. */
export async function runRollbackCommand(io: CliIo, args: readonly string[], deps: RollbackCommandDeps = {}): Promise<number> {
  const { values } = parseOptions(spec, args);
  const prefix = stringValue(values, 'prefix');
  const dotenv = stringValue(values, 'dotenv');
  if (prefix !== undefined && prefix.trim() === '') throw usageError('rollback', '--prefix needs a directory, got an empty string');
  if (dotenv !== undefined && dotenv.trim() === '') throw usageError('rollback', '--dotenv needs a path, got an empty string');
  const layout = installLayout(prefix === undefined ? '/' : path.resolve(io.cwd, prefix));
  const host = deps.host ?? createRealHost(io.env);
  const fs = deps.fs ?? createInstallFs();
  const removeAssets = flag(values, 'remove-assets');
  const removeBinaries = flag(values, 'remove-binaries');
  const systemd = await host.fs.exists(path.join(layout.prefix, 'run/systemd/system')).catch(() => false);
  const steps = planRollback(
    { envFile: path.resolve(io.cwd, dotenv ?? (io.env.OCTOLAB_ENV_FILE || DEFAULT_ENV_FILE)), layout, removeAssets, removeBinaries },
    fs,
    { fs, host, systemd },
  );
  const json = flag(values, 'json');
  if (flag(values, 'dry-run')) {
    const heading = 'octolab-verify rollback: the plan (dry run: nothing is changed)';
    io.stdout.write(json ? renderOutputJson({ tool: toolJson(), ok: true, dryRun: true, plan: steps.map((step) => ({ id: step.id, title: step.title, plan: step.plan })) }) : renderPlan(heading, steps));
    return EXIT.ok;
  }
  const euid = deps.euid ?? process.geteuid?.() ?? -1;
  if (euid !== 0 && layout.prefix === '/' && (removeAssets || removeBinaries)) {
    throw usageError('rollback', '--remove-assets and --remove-binaries remove system files: run rollback as root (sudo)');
  }
  const result = await runPlan(steps, json ? undefined : (report) => io.stdout.write(renderStepReport(report)));
  const exitCode = result.ok ? EXIT.ok : EXIT.failed;
  if (json) io.stdout.write(renderPlanJson(result, exitCode));
  if (!result.ok) io.stderr.write(`octolab-verify rollback: ${renderPlanError(result.error)}`);
  return exitCode;
}

/** The `rollback` subcommand for the CLI's table. */
export const command: Command = {
  name: 'rollback',
  summary: spec.summary,
  spec,
  run: (io, args) => runRollbackCommand(io, args),
};
