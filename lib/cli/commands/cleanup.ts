import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../config/index.ts';
import { renderOutputJson } from '../../json-shape.ts';
import { toolJson } from '../../json-style.ts';
import { createInstallFs } from '../../host/install-fs.ts';
import { createIpLinks } from '../../host/ip-links.ts';
import { createProcessTable } from '../../host/process-table.ts';
import { createRealHost } from '../../host/real-host.ts';
import type { Host, HostSockets } from '../../host/types.ts';
import type { Links } from '../../netd/links.ts';
import { chooseLinkRoute, needsNetd, planWithRoute, reachNetd, type CleanupNetd, type LinkRoute } from '../../provision/cleanup-netd.ts';
import { planCleanup } from '../../provision/cleanup-plan.ts';
import { executeCleanup, type CleanupResult } from '../../provision/cleanup-run.ts';
import { scanForResidue } from '../../provision/cleanup-scan.ts';
import { parseDuration } from '../../provision/duration.ts';
import type { InstallFs, ProcessTable } from '../../provision/ports.ts';
import { renderCleanupPlan, renderCleanupResult } from '../../provision/render-cleanup.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { DOTENV_OPTION, flag, parseOptions, stringValue, usageError, type CommandSpec } from '../options.ts';
import { loadSettings } from '../settings.ts';

/** Cleanup's options and help. */
export const spec: CommandSpec = {
  name: 'cleanup',
  summary: 'Remove what a crashed lab left (its firecracker, lab dir, sockets, owned obr/otp links) and nothing else.',
  synopsis: ['cleanup [--dry-run] [--older-than DURATION] [--state-dir DIR] [--netns NAME]... [--json] [--dotenv PATH]'],
  description: [
    'Removes only what a lab left: firecracker processes whose --api-sock is inside <state dir>/lab_<uuid>/ (never matched by process name), obr/otp links whose alias is "octolab:lab=<uuid>" (netd\'s ownership record), and lab_<uuid> directories with their sockets. Stop the backend first: a running lab looks exactly like a crashed one (or use --older-than).',
    'When microvm-netd answers on OCTOLAB_MICROVM_NETD_SOCK (hello, ping), the links of the current namespace are released through it (release_vm_net, one lab at a time as the daemon serialises them); otherwise, and in --netns namespaces, they are deleted directly with ip. The plan says which.',
    'A shared-bridge microvm-netd records no owner on its TAPs: such an otp TAP is released through the daemon only when it is named for a lab whose lab_<uuid> directory cleanup removes and the daemon lists it, never deleted directly; its shared bridge (br-octonet) is never touched.',
  ],
  options: [
    { name: 'dry-run', type: 'boolean', description: 'List what would be removed (and what is left alone, with why); change nothing.' },
    { name: 'older-than', type: 'string', value: 'DURATION', description: 'Only what a lab touched longer ago than this: 90s, 10m, 2h, 1d, 1h30m.' },
    { name: 'state-dir', type: 'string', value: 'DIR', description: 'The state dir to clean (default OCTOLAB_MICROVM_STATE_DIR from the environment or the env file); it must exist.' },
    { name: 'netns', type: 'string', value: 'NAME', multiple: true, description: 'Also look for lab links in this network namespace (repeatable; the current namespace is always searched).' },
    { name: 'json', type: 'boolean', description: 'Print the plan and the outcome as JSON instead of text.' },
    DOTENV_OPTION,
  ],
  exitCodes: [0, 1, 64, 78],
  exitNotes: {
    0: 'done, or nothing left behind (or --dry-run)',
    1: 'something could not be removed; the line for it says why',
  },
};

/** What the command takes from outside; tests pass fakes. */
export interface CleanupCommandDeps {
  host?: Host;
  fs?: InstallFs;
  processes?: ProcessTable;
  linksIn?: (netns: string | null) => Links;
  /** How microvm-netd is reached (default: the host's unix sockets). */
  sockets?: HostSockets;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Runs `cleanup`: scan → plan (printed) → remove (unless `--dry-run`); returns 1 when an item failed. */
export async function runCleanupCommand(io: CliIo, args: readonly string[], deps: CleanupCommandDeps = {}): Promise<number> {
  const { values } = parseOptions(spec, args);
  const olderThan = stringValue(values, 'older-than');
  const olderThanMs = olderThan === undefined ? 0 : parseDuration(olderThan);
  const netnsNames = (values.netns as string[] | undefined) ?? [];
  for (const name of netnsNames) {
    if (!NETNS_NAME.test(name) || name === '.' || name === '..') throw usageError('cleanup', `--netns ${JSON.stringify(name)} is not a namespace name: use a name from \`ip netns list\``);
  }
  const host = deps.host ?? createRealHost(io.env);
  const fs = deps.fs ?? createInstallFs();
  // Read only when needed: an explicit --state-dir with no link to release needs no configuration.
  let config: Promise<Config> | undefined;
  const readConfig = () => (config ??= loadSettings(io, 'cleanup', host, stringValue(values, 'dotenv')).then((loaded) => loaded.config));
  const stateDirFlag = stringValue(values, 'state-dir');
  if (stateDirFlag !== undefined) await requireStateDir(fs, stateDirFlag, io.cwd);
  const stateDir = stateDirFlag === undefined ? (await readConfig()).stateDir : path.resolve(io.cwd, stateDirFlag);
  const processes = deps.processes ?? createProcessTable();
  const linksIn = deps.linksIn ?? ((netns: string | null) => createIpLinks({ proc: host.proc, netns: netns ?? undefined }));
  const namespaces = [null, ...new Set(netnsNames)];

  const stateDirFound = (await fs.lstat(stateDir)) !== null;
  const inventory = await scanForResidue(stateDir, namespaces, { fs, files: host.fs, processes, linksIn, now: deps.now ?? Date.now });
  let plan = planCleanup(inventory, olderThanMs);
  const dryRun = flag(values, 'dry-run');
  const json = flag(values, 'json');
  // microvm-netd is asked only when there is a link to remove in the namespace it serves.
  let netd: CleanupNetd | null = null;
  let route: LinkRoute | null = null;
  if (needsNetd(plan, inventory)) {
    netd = reachNetd(deps.sockets ?? host.sockets, (await readConfig()).netdSocket);
    route = await chooseLinkRoute(plan, netd, inventory);
    plan = planWithRoute(plan, route);
  }
  const missingNote = stateDirFound ? null : `the state dir ${stateDir} does not exist: no lab directories to look at (processes and links were still searched)`;
  if (!json) io.stdout.write(renderCleanupPlan(plan, stateDir, dryRun, route) + (missingNote ? `  note: ${missingNote}\n` : ''));
  let result: CleanupResult | null = null;
  if (!dryRun && plan.remove.length > 0) {
    const viaNetd = netd && route && route.viaNetd.size > 0 ? { route, client: netd.client } : null;
    result = await executeCleanup(plan, inventory.stateDirs, { fs, processes, linksIn, netd: viaNetd, sleep: deps.sleep ?? ((ms) => sleep(ms)) });
    if (!json) io.stdout.write(renderCleanupResult(result));
  }
  const ok = result?.ok ?? true;
  if (json) {
    io.stdout.write(renderOutputJson({ tool: toolJson(), ok, dryRun, stateDir, stateDirFound, olderThanMs: plan.olderThanMs, remove: plan.remove, kept: plan.kept, linkRoute: route, outcomes: result?.outcomes ?? null }));
  }
  return ok ? EXIT.ok : EXIT.failed;
}

/** An explicit --state-dir must be an existing directory: a typo would otherwise find "nothing left behind". */
async function requireStateDir(fs: InstallFs, value: string, cwd: string): Promise<void> {
  if (value.trim() === '') throw usageError('cleanup', '--state-dir needs a directory, got an empty string');
  const dir = path.resolve(cwd, value);
  const info = await fs.lstat(dir);
  if (info === null) throw usageError('cleanup', `--state-dir ${dir} does not exist, so there is nothing to clean there: check the path (the configured one is OCTOLAB_MICROVM_STATE_DIR)`);
  if (info.kind !== 'directory' && (await fs.realpath(dir).then((real) => fs.lstat(real)))?.kind !== 'directory') {
    throw usageError('cleanup', `--state-dir ${dir} is a ${info.kind}, not a directory`);
  }
}

/** The `cleanup` subcommand for the CLI's table. */
export const command: Command = {
  name: 'cleanup',
  summary: spec.summary,
  spec,
  run: (io, args) => runCleanupCommand(io, args),
};
