import { UsageError } from '../../errors.ts';
import { createRealHost } from '../../host/real-host.ts';
import { loadConfig } from '../../config/index.ts';
import { type CliIo, type Command } from '../io.ts';
import { parseCommandArgs, parseSeconds } from '../parse-args.ts';
import { isClientSubcommand, needsLabId, runNetdClient } from './netd-client.ts';
import { resolveServeSettings, SERVE_ONLY_OPTIONS, serveNetd } from './netd-serve.ts';

const USAGE = `octolab-verify netd serve [--socket PATH] [--group NAME] [--tap-owner UID] [--pidfile PATH] [--netns NAME]
         [--pool CIDR] [--prefix-len N] [--dns IP] [--request-timeout SECONDS] [--max-connections N] [--max-peer-connections N]
       octolab-verify netd hello|ping|list [--socket PATH] [--json] [--timeout SECONDS]
       octolab-verify netd alloc|release|diag LAB_ID [--socket PATH] [--json] [--timeout SECONDS]

serve runs the microvm-netd daemon in the foreground (as root) until SIGTERM/SIGINT.
The other subcommands talk to a running daemon of either design (per-lab obr/otp, or shared-bridge
br-octonet; hello shows which). --socket defaults to OCTOLAB_MICROVM_NETD_SOCK
(/run/octolab/microvm-netd.sock), --group to OCTOLAB_NETD_GROUP (octolab), --pool to OCTOLAB_NETD_POOL
(10.208.0.0/14), --prefix-len to OCTOLAB_NETD_PREFIX_LEN (24), --dns to OCTOLAB_NETD_DNS (8.8.8.8).
exit codes: 0 ok; 1 refused or unreachable, hello missing (an old per-lab daemon), diag of a lab
that is not healthy (or whose health is unknown), a list that could not be read whole; 64 usage.`;

const OPTIONS = {
  socket: { type: 'string' },
  group: { type: 'string' },
  'tap-owner': { type: 'string' },
  pidfile: { type: 'string' },
  netns: { type: 'string' },
  'request-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-peer-connections': { type: 'string' },
  pool: { type: 'string' },
  'prefix-len': { type: 'string' },
  dns: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
} as const;


/** Reads the socket and group defaults from the config only when an option does not give them. */
async function defaults(io: CliIo, socket: string | undefined, group: string | undefined): Promise<{ socket: string; group: string }> {
  if (socket !== undefined && group !== undefined) return { socket, group };
  const host = createRealHost(io.env);
  const { config } = await loadConfig({ env: io.env, fs: host.fs, cwd: io.cwd });
  return { socket: socket ?? config.netdSocket, group: group ?? config.netdGroup };
}

/** `octolab-verify netd …`: the daemon (serve) and a client for each op. */
export const command: Command = {
  name: 'netd',
  summary: 'run microvm-netd (serve) or talk to it (hello, ping, alloc, release, diag, list)',
  usage: USAGE,
  async run(io, args) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE, true);
    const [sub, labId, ...extra] = positionals;
    const usageError = (summary: string) => new UsageError({ code: 'USAGE', summary, hint: `usage: ${USAGE}` });
    if (!sub) throw usageError('netd needs a subcommand: serve, hello, ping, alloc, release, diag or list');
    if (sub === 'serve') {
      if (positionals.length > 1) throw usageError(`netd serve takes no arguments, got ${JSON.stringify(positionals.slice(1).join(' '))}`);
      return serveNetd(io, await resolveServeSettings(io, values, USAGE));
    }
    if (!isClientSubcommand(sub)) throw usageError(`unknown netd subcommand ${JSON.stringify(sub)}`);
    const misplaced = SERVE_ONLY_OPTIONS.filter((name) => values[name] !== undefined);
    if (misplaced.length > 0) throw usageError(`--${misplaced.join(', --')} only apply to netd serve`);
    const withLabId = needsLabId(sub);
    if (withLabId && !labId) throw usageError(`netd ${sub} needs a LAB_ID`);
    if ((!withLabId && labId) || extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify((withLabId ? extra : [labId, ...extra]).join(' '))}`);
    const timeoutSeconds = parseSeconds(values.timeout, '--timeout', USAGE);
    const { socket } = await defaults(io, values.socket, 'unused');
    const timeoutMs = timeoutSeconds === undefined ? 15_000 : timeoutSeconds * 1000;
    return runNetdClient(io, { sub, labId: labId ?? '', socketPath: socket, sockets: createRealHost(io.env).sockets, timeoutMs, json: values.json === true });
  },
};
