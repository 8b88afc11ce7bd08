import { VerifyError } from '../../errors.ts';
import { createRealHost } from '../../host/real-host.ts';
import { loadConfig } from '../../config/index.ts';
import { createNetdClient, type NetdClient } from '../../netd/client.ts';
import { renderAlloc, renderDiag, renderHello, renderList, renderPing, renderRelease } from '../../netd/render.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { usageError as netdUsage, parseOptions, type CommandSpec } from '../options.ts';
import { parseSeconds } from '../parse-args.ts';
import { parseMaxConnections, parseNetns, parseRequestTimeout, parseTapOwner, serveNetd } from './netd-serve.ts';

/** Pointer to the help, in every netd usage error. */
const SEE_HELP = 'see `octolab-verify netd --help`';

/** netd's options and help (the netd helpers keep the descriptions in step with their code). */
export const spec: CommandSpec = {
  name: 'netd',
  summary: 'Run microvm-netd (serve) or talk to it (hello, ping, alloc, release, diag, list).',
  synopsis: [
    'netd serve [--socket PATH] [--group NAME] [--tap-owner UID] [--pidfile PATH] [--netns NAME] [--request-timeout SECONDS] [--max-connections N]',
    'netd hello|ping|list [--socket PATH] [--json] [--timeout SECONDS]',
    'netd alloc|release|diag LAB_ID [--socket PATH] [--json] [--timeout SECONDS]',
  ],
  description: [
    'serve runs the microvm-netd daemon in the foreground (as root) until SIGTERM or SIGINT: it creates a bridge obr<hex10> and a TAP otp<hex10> per lab. The other subcommands talk to a running daemon (api_version 1: one JSON request per connection). LAB_ID is the lab\'s UUID.',
  ],
  options: [
    { name: 'socket', type: 'string', value: 'PATH', description: 'The daemon\'s unix socket (default OCTOLAB_MICROVM_NETD_SOCK, /run/octolab/microvm-netd.sock).' },
    { name: 'group', type: 'string', value: 'NAME', subcommands: ['serve'], description: 'The group the socket belongs to, mode 0660 (default OCTOLAB_NETD_GROUP, octolab); the group must exist.' },
    { name: 'tap-owner', type: 'string', value: 'UID', subcommands: ['serve'], description: 'The numeric uid that owns each TAP (the user Firecracker runs as); default: root.' },
    { name: 'pidfile', type: 'string', value: 'PATH', subcommands: ['serve'], description: 'Write the daemon\'s pid here (default: microvm-netd.pid beside the socket).' },
    { name: 'netns', type: 'string', value: 'NAME', subcommands: ['serve'], description: 'Create links in this network namespace (a name under /run/netns) instead of the current one.' },
    { name: 'request-timeout', type: 'string', value: 'SECONDS', subcommands: ['serve'], description: 'How long a connection may take to send its request before it is closed.' },
    { name: 'max-connections', type: 'string', value: 'N', subcommands: ['serve'], description: 'How many connections are served at once, 1 to 4096; more are answered TOO_MANY_CONNECTIONS.' },
    { name: 'json', type: 'boolean', subcommands: ['hello', 'ping', 'list', 'alloc', 'release', 'diag'], description: 'Print the daemon\'s reply as JSON instead of text.' },
    { name: 'timeout', type: 'string', value: 'SECONDS', subcommands: ['hello', 'ping', 'list', 'alloc', 'release', 'diag'], description: 'How long to wait for the reply (default 15).' },
  ],
  exitCodes: [0, 1, 64, 78],
  exitNotes: {
    0: 'the daemon answered (serve: it stopped cleanly on SIGTERM/SIGINT)',
    1: 'the daemon refused the request or could not be reached; the message says why',
  },
  positionals: true,
};

/** A client subcommand: the call and its text rendering. */
interface ClientCall {
  needsLabId: boolean;
  call: (client: NetdClient, labId: string) => Promise<unknown>;
  render: (result: never) => string;
}

const CALLS: Record<string, ClientCall> = {
  hello: { needsLabId: false, call: (c) => c.hello(), render: renderHello },
  ping: { needsLabId: false, call: (c) => c.ping(), render: renderPing },
  list: { needsLabId: false, call: (c) => c.list(), render: renderList },
  alloc: { needsLabId: true, call: (c, id) => c.alloc(id), render: renderAlloc },
  release: { needsLabId: true, call: (c, id) => c.release(id), render: renderRelease },
  diag: { needsLabId: true, call: (c, id) => c.diag(id), render: renderDiag },
};

const SERVE_ONLY = ['group', 'tap-owner', 'pidfile', 'netns', 'request-timeout', 'max-connections'] as const;

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
      const { socket, group } = await defaults(io, values.socket, values.group);
      return serveNetd(io, {
        socketPath: socket,
        group,
        pidfile: values.pidfile,
        tapOwner: parseTapOwner(values['tap-owner'], SEE_HELP),
        netns: parseNetns(values.netns, SEE_HELP),
        requestTimeoutMs: parseRequestTimeout(values['request-timeout'], SEE_HELP),
        maxConnections: parseMaxConnections(values['max-connections'], SEE_HELP),
      });
    }
    const call = Object.hasOwn(CALLS, sub) ? CALLS[sub] : undefined;
    if (!call) throw usageError(`unknown netd subcommand ${JSON.stringify(sub)}`);
    const misplaced = SERVE_ONLY.filter((name) => values[name] !== undefined);
    if (misplaced.length > 0) throw usageError(`--${misplaced.join(', --')} only apply to netd serve`);
    if (call.needsLabId && !labId) throw usageError(`netd ${sub} needs a LAB_ID`);
    if ((!call.needsLabId && labId) || extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify((call.needsLabId ? extra : [labId, ...extra]).join(' '))}`);
    const timeoutSeconds = parseSeconds(values.timeout, '--timeout', SEE_HELP);
    const { socket } = await defaults(io, values.socket, 'unused');
    const client = createNetdClient({ sockets: createRealHost(io.env).sockets, socketPath: socket, timeoutMs: timeoutSeconds === undefined ? 15_000 : timeoutSeconds * 1000 });
    try {
      const result = await call.call(client, labId ?? '');
      io.stdout.write(values.json ? `${JSON.stringify({ ok: true, result }, null, 2)}\n` : call.render(result as never));
      return EXIT.ok;
    } catch (error) {
      if (!values.json || !(error instanceof VerifyError)) throw error;
      io.stdout.write(`${JSON.stringify({ ok: false, error: error.code, message: error.summary, hint: error.hint ?? null }, null, 2)}\n`);
      return EXIT.failed;
    }
  },
};
