import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type Config } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
import { createInstallFs } from '../../host/install-fs.ts';
import { createIpLinks } from '../../host/ip-links.ts';
import { createProcessTable } from '../../host/process-table.ts';
import { createRealHost } from '../../host/real-host.ts';
import type { Host, HostSockets } from '../../host/types.ts';
import type { Links } from '../../netd/links.ts';
import { chooseLinkRoute, needsNetd, planWithRoute, reachNetd, type CleanupNetd, type LinkRoute } from '../../provision/cleanup-netd.ts';
import { planCleanup } from '../../provision/cleanup-plan.ts';
import { executeCleanup } from '../../provision/cleanup-run.ts';
import { scanForResidue } from '../../provision/cleanup-scan.ts';
import { parseDuration } from '../../provision/duration.ts';
import type { InstallFs, ProcessTable } from '../../provision/ports.ts';
import { renderCleanupPlan, renderCleanupResult } from '../../provision/render-cleanup.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { parseCommandArgs } from '../parse-args.ts';

const USAGE = `octolab-verify cleanup [--dry-run] [--older-than DURATION] [--state-dir DIR] [--netns NAME]... [--env-file PATH]

  --dry-run              list what would be removed (and what is left alone, with why); change nothing
  --older-than DURATION  only what a lab touched longer ago than this: 90s, 10m, 2h, 1d, 1h30m
  --state-dir DIR        the state dir (default OCTOLAB_MICROVM_STATE_DIR from the env / env file)
  --netns NAME           also look for lab links in this network namespace (repeatable; the current
                         namespace is always searched)
  --env-file PATH        read settings from PATH instead of backend/.env.local

Removes only what a lab left: firecracker processes whose --api-sock is inside <state_dir>/lab_<uuid>/
(never matched by process name), obr/otp links whose alias is "octolab:lab=<uuid>" (netd's
ownership record), and lab_<uuid> directories with their sockets. Stop the backend first: a running
lab looks exactly like a crashed one (or use --older-than).
When microvm-netd answers on OCTOLAB_MICROVM_NETD_SOCK (hello, ping), the links of the current
namespace are released through it (release_vm_net, one lab at a time as the daemon serialises
them); otherwise, and in --netns namespaces, they are deleted directly with ip. The plan says which.
A shared-bridge microvm-netd records no owner on its TAPs: such an otp TAP is released through the
daemon only when it is named for a lab whose lab_<uuid> directory cleanup removes and the daemon
lists it, never deleted directly; its shared bridge (br-octonet) is never touched.
exit codes: 0 done (or nothing to do), 1 something could not be removed, 64 usage, 78 configuration`;

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
  const { values } = parseCommandArgs(
    args,
    {
      'dry-run': { type: 'boolean' },
      'older-than': { type: 'string' },
      'state-dir': { type: 'string' },
      netns: { type: 'string', multiple: true },
      'env-file': { type: 'string' },
    },
    USAGE,
  );
  const olderThanMs = values['older-than'] === undefined ? 0 : parseDuration(values['older-than']);
  for (const name of values.netns ?? []) {
    if (!NETNS_NAME.test(name) || name === '.' || name === '..') throw new UsageError({ code: 'USAGE', summary: `--netns ${JSON.stringify(name)} is not a namespace name`, hint: 'Use a name from `ip netns list`.' });
  }
  const host = deps.host ?? createRealHost(io.env);
  // Read only when needed: an explicit --state-dir with no link to release needs no configuration.
  let config: Promise<Config> | undefined;
  const readConfig = () => (config ??= loadConfig({ env: io.env, fs: host.fs, cwd: io.cwd, envFile: values['env-file'] }).then((loaded) => loaded.config));
  const stateDir = values['state-dir'] ?? (await readConfig()).stateDir;
  const fs = deps.fs ?? createInstallFs();
  const processes = deps.processes ?? createProcessTable();
  const linksIn = deps.linksIn ?? ((netns: string | null) => createIpLinks({ proc: host.proc, netns: netns ?? undefined }));
  const namespaces = [null, ...new Set(values.netns ?? [])];

  const inventory = await scanForResidue(stateDir, namespaces, { fs, files: host.fs, processes, linksIn, now: deps.now ?? Date.now });
  let plan = planCleanup(inventory, olderThanMs);
  const dryRun = values['dry-run'] === true;
  // microvm-netd is asked only when there is a link to remove in the namespace it serves.
  let netd: CleanupNetd | null = null;
  let route: LinkRoute | null = null;
  if (needsNetd(plan, inventory)) {
    netd = reachNetd(deps.sockets ?? host.sockets, (await readConfig()).netdSocket);
    route = await chooseLinkRoute(plan, netd, inventory);
    plan = planWithRoute(plan, route);
  }
  io.stdout.write(renderCleanupPlan(plan, stateDir, dryRun, route));
  if (dryRun || plan.remove.length === 0) return EXIT.ok;
  const viaNetd = netd && route && route.viaNetd.size > 0 ? { route, client: netd.client } : null;
  const result = await executeCleanup(plan, inventory.stateDirs, { fs, processes, linksIn, netd: viaNetd, sleep: deps.sleep ?? ((ms) => sleep(ms)) });
  io.stdout.write(renderCleanupResult(result));
  return result.ok ? EXIT.ok : EXIT.failed;
}

/** The `cleanup` subcommand for the CLI's table. */
export const command: Command = {
  name: 'cleanup',
  summary: 'remove what a crashed lab left (its firecracker, lab dir, sockets, owned obr/otp links) and nothing else',
  usage: USAGE,
  run: (io, args) => runCleanupCommand(io, args),
};
