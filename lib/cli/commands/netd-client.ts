/**
 * `octolab-verify netd hello|ping|alloc|release|diag|list`: one request (list: every page) to the
 * daemon on the socket, whichever design it follows, printed as text or as the project's JSON.
 * Exit codes: 0 the answer is what was asked for; 1 it is not (a refusal, a daemon without hello,
 * a lab that is not healthy or whose health cannot be told, a list that could not be read whole).
 */
import { VerifyError } from '../../errors.ts';
import type { HostSockets } from '../../host/types.ts';
import { createNetdClient, type NetdClient } from '../../netd/client.ts';
import { renderAlloc, renderDiag, renderHello, renderList, renderPing, renderRelease } from '../../netd/render.ts';
import type { DiagView, ListView, NetdIdentity } from '../../netd/views.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../version.ts';
import { EXIT, type CliIo } from '../io.ts';

/** What one client subcommand does: the call, its rendering, and the verdict (null: success). */
interface ClientCall {
  needsLabId: boolean;
  call: (client: NetdClient, labId: string) => Promise<unknown>;
  render: (result: never) => string;
  /** Why the answer is a failure (exit 1), or null. */
  failure?: (result: never) => string | null;
}

const CALLS: Record<string, ClientCall> = {
  hello: {
    needsLabId: false,
    call: (c) => c.identify(),
    render: renderHello,
    failure: (identity: NetdIdentity) => (identity.hello === null ? 'microvm-netd answers no hello (the old per-lab daemon): OctoLab\'s current backend refuses it' : null),
  },
  ping: { needsLabId: false, call: (c) => c.ping(), render: renderPing },
  list: {
    needsLabId: false,
    call: (c) => c.list(),
    render: renderList,
    failure: (list: ListView) => (list.complete ? null : 'the list could not be read whole'),
  },
  alloc: { needsLabId: true, call: (c, id) => c.alloc(id), render: renderAlloc },
  release: { needsLabId: true, call: (c, id) => c.release(id), render: renderRelease },
  diag: {
    needsLabId: true,
    call: (c, id) => c.diag(id),
    render: renderDiag,
    failure: (diag: DiagView) => (diag.verdict === 'healthy' ? null : `lab ${diag.lab_id} is ${diag.verdict === 'unknown' ? 'of unknown health' : 'NOT healthy'}`),
  },
};

/** True for the subcommands that talk to a running daemon. */
export function isClientSubcommand(name: string): boolean {
  return Object.hasOwn(CALLS, name);
}

/** True when the subcommand takes a LAB_ID. */
export function needsLabId(name: string): boolean {
  return CALLS[name]!.needsLabId;
}

/** What a client subcommand runs with. */
export interface ClientRun {
  sub: string;
  labId: string;
  socketPath: string;
  sockets: HostSockets;
  timeoutMs: number;
  json: boolean;
}

const TOOL = { name: TOOL_NAME, version: TOOL_VERSION };

/** Runs one client subcommand; returns the exit code. A refusal with --json is a JSON document, else it is thrown. */
export async function runNetdClient(io: CliIo, run: ClientRun): Promise<number> {
  const call = CALLS[run.sub]!;
  const client = createNetdClient({ sockets: run.sockets, socketPath: run.socketPath, timeoutMs: run.timeoutMs });
  let result: unknown;
  try {
    result = await call.call(client, run.labId);
  } catch (error) {
    if (!run.json || !(error instanceof VerifyError)) throw error;
    io.stdout.write(`${JSON.stringify({ ok: false, tool: TOOL, op: run.sub, error: error.code, message: error.summary, hint: error.hint ?? null }, null, 2)}\n`);
    return EXIT.failed;
  }
  const failure = call.failure?.(result as never) ?? null;
  io.stdout.write(run.json ? `${JSON.stringify({ ok: failure === null, tool: TOOL, op: run.sub, result }, null, 2)}\n` : call.render(result as never));
  if (failure === null) return EXIT.ok;
  io.stderr.write(`octolab-verify netd ${run.sub}: ${failure}\n`);
  return EXIT.failed;
}
