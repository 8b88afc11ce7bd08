import { createRealHost } from '../../host/real-host.ts';
import { DEFAULT_DNS, DEFAULT_LAB_PREFIX_LEN, DEFAULT_POOL } from '../../netd/address-pool.ts';
import { type CliIo, type Command } from '../io.ts';
import { usageError as netdUsage, parseOptions, type CommandSpec } from '../options.ts';
import { parseSeconds } from '../parse-args.ts';
import { loadSettings } from '../settings.ts';
import { isClientSubcommand, needsLabId, runNetdClient } from './netd-client.ts';
import { resolveServeSettings, SERVE_ONLY_OPTIONS, serveNetd, type ServeOptionValues } from './netd-serve.ts';

/** Pointer to the help, in every netd usage error. */
const SEE_HELP = 'see `octolab-verify netd --help`';

const CLIENT_SUBCOMMANDS = ['hello', 'ping', 'list', 'alloc', 'release', 'diag'] as const;

/** netd's options and help (the netd helpers keep the descriptions in step with their code). */
export const spec: CommandSpec = {
  name: 'netd',
  summary: 'Run microvm-netd (serve) or talk to it (hello, ping, alloc, release, diag, list).',
  synopsis: [
    'netd serve [--socket PATH] [--group NAME] [--tap-owner UID] [--pidfile PATH] [--netns NAME] [--pool CIDR] [--prefix-len N] [--dns IP] [--request-timeout SECONDS] [--max-connections N] [--max-peer-connections N]',
    'netd hello|ping|list [--socket PATH] [--json] [--timeout SECONDS]',
    'netd alloc|release|diag LAB_ID [--socket PATH] [--json] [--timeout SECONDS]',
  ],
  description: [
    'serve runs the microvm-netd daemon in the foreground (as root) until SIGTERM or SIGINT: it creates a bridge obr<hex10> and a TAP otp<hex10> per lab, with a subnet of its own cut from the address pool. The other subcommands talk to a running daemon of either design (per-lab obr/otp, or shared-bridge br-octonet; hello shows which), api_version 1: one JSON request per connection. LAB_ID is the lab\'s UUID.',
  ],
  options: [
    { name: 'socket', type: 'string', value: 'PATH', description: 'The daemon\'s unix socket (default OCTOLAB_MICROVM_NETD_SOCK, /run/octolab/microvm-netd.sock).' },
    { name: 'group', type: 'string', value: 'NAME', subcommands: ['serve'], description: 'The group the socket belongs to, mode 0660 (default OCTOLAB_NETD_GROUP, octolab); the group must exist.' },
    { name: 'tap-owner', type: 'string', value: 'UID', subcommands: ['serve'], description: 'The numeric uid that owns each TAP (the user Firecracker runs as); default: root.' },
    { name: 'pidfile', type: 'string', value: 'PATH', subcommands: ['serve'], description: 'Write the daemon\'s pid here (default: microvm-netd.pid beside the socket).' },
    { name: 'netns', type: 'string', value: 'NAME', subcommands: ['serve'], description: 'Create links in this network namespace (a name under /run/netns) instead of the current one.' },
    { name: 'pool', type: 'string', value: 'CIDR', subcommands: ['serve'], description: `The IPv4 network each lab's subnet is cut from (default OCTOLAB_NETD_POOL, ${DEFAULT_POOL}).` },
    { name: 'prefix-len', type: 'string', value: 'N', subcommands: ['serve'], description: `The prefix length of each lab's subnet (default OCTOLAB_NETD_PREFIX_LEN, ${DEFAULT_LAB_PREFIX_LEN}: one /24 per lab).` },
    { name: 'dns', type: 'string', value: 'IP', subcommands: ['serve'], description: `The DNS server handed to guests in each alloc reply (default OCTOLAB_NETD_DNS, ${DEFAULT_DNS}).` },
    { name: 'request-timeout', type: 'string', value: 'SECONDS', subcommands: ['serve'], description: 'How long a connection may take to send its request before it is closed.' },
    { name: 'max-connections', type: 'string', value: 'N', subcommands: ['serve'], description: 'How many connections are served at once, 1 to 4096; more are answered TOO_MANY_CONNECTIONS.' },
    { name: 'max-peer-connections', type: 'string', value: 'N', subcommands: ['serve'], description: 'How many of those one client (one uid) may hold at once, 1 to 4096, so that one slow client cannot take every slot.' },
    { name: 'json', type: 'boolean', subcommands: CLIENT_SUBCOMMANDS, description: 'Print the daemon\'s reply as JSON (with a tool object) instead of text.' },
    { name: 'timeout', type: 'string', value: 'SECONDS', subcommands: CLIENT_SUBCOMMANDS, description: 'How long to wait for the reply (default 15).' },
  ],
  exitCodes: [0, 1, 64, 78],
  exitNotes: {
    0: 'the daemon answered what was asked for (serve: it stopped cleanly on SIGTERM/SIGINT)',
    1: 'the daemon refused the request or could not be reached, answered no hello (an old per-lab daemon), diag found the lab not healthy (or of unknown health), or the list could not be read whole; the message says which',
  },
  positionals: true,
};

/** Reads the socket default from the config (warnings about the env file on stderr) only when --socket does not give it. */
async function socketOf(io: CliIo, socket: string | undefined): Promise<string> {
  if (socket !== undefined) return socket;
  const { config } = await loadSettings(io, 'netd', createRealHost(io.env), undefined);
  return config.netdSocket;
}

/** `octolab-verify netd …`: the daemon (serve) and a client for each op. */
export const command: Command = {
  name: 'netd',
  summary: spec.summary,
  spec,
  async run(io, args) {
    const { values: parsed, positionals } = parseOptions(spec, args);
    const values = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v === true ? true : typeof v === 'string' ? v : undefined])) as Record<string, string | undefined> & { json?: boolean };
    const [sub, labId, ...extra] = positionals;
    const usageError = (summary: string) => netdUsage('netd', summary);
    if (!sub) throw usageError('netd needs a subcommand: serve, hello, ping, alloc, release, diag or list');
    if (sub === 'serve') {
      if (positionals.length > 1) throw usageError(`netd serve takes no arguments, got ${JSON.stringify(positionals.slice(1).join(' '))}`);
      return serveNetd(io, await resolveServeSettings(io, values as ServeOptionValues, SEE_HELP));
    }
    if (!isClientSubcommand(sub)) throw usageError(`unknown netd subcommand ${JSON.stringify(sub)}`);
    const misplaced = SERVE_ONLY_OPTIONS.filter((name) => values[name] !== undefined);
    if (misplaced.length > 0) throw usageError(`--${misplaced.join(', --')} only apply to netd serve`);
    const withLabId = needsLabId(sub);
    if (withLabId && !labId) throw usageError(`netd ${sub} needs a LAB_ID`);
    if ((!withLabId && labId) || extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify((withLabId ? extra : [labId, ...extra]).join(' '))}`);
    const timeoutSeconds = parseSeconds(values.timeout, '--timeout', SEE_HELP);
    const socket = await socketOf(io, values.socket);
    const timeoutMs = timeoutSeconds === undefined ? 15_000 : timeoutSeconds * 1000;
    return runNetdClient(io, { sub, labId: labId ?? '', socketPath: socket, sockets: createRealHost(io.env).sockets, timeoutMs, json: values.json === true });
  },
};
