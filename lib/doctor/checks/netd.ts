import { HostError } from '../../errors.ts';
import type { FileInfo, GroupEntry } from '../../host/types.ts';
import { formatMode } from '../../host/permissions.ts';
import { createNetdClient } from '../../netd/client.ts';
import { NetdError } from '../../netd/errors.ts';
import type { NetdIdentity, PingView } from '../../netd/views.ts';
import type { Check, CheckContext, CheckResult } from '../check.ts';
import { hintContextOf, hints } from '../hints.ts';
import { clip, failed, passed } from '../verdict.ts';
import { accessProblem, describeKind, mustComputeAccess } from './access.ts';

/** hello and ping together must be answered within this budget (upstream's doctor ping: 2 s). */
export const NETD_TIMEOUT_MS = 2000;
const SOCKET_MODE = 0o660;

/**
 * `netd`: the socket exists, is a socket, is root:<netdGroup> (group only when it exists) with
 * mode exactly 0660, the runtime user may connect (w on the socket), and the daemon answers
 * `hello` then `ping` within 2 s. Every byte of the reply is treated as hostile. A daemon of either
 * design passes when it answers as OctoLab's client expects (the facts say which design answered);
 * one less complete (no hello, a ping without result.status) is a WARN naming what is missing.
 */
export const netdCheck: Check = {
  id: 'netd',
  title: 'microvm-netd socket',
  async run(ctx) {
    const socketPath = ctx.config.netdSocket;
    const h = hintContextOf(ctx);
    let info: FileInfo;
    try {
      info = await ctx.host.fs.stat(socketPath);
    } catch (error) {
      const errno = error instanceof HostError ? error.errno : undefined;
      if (errno === 'ENOENT' || errno === 'ENOTDIR') return failed('fatal', `netd socket not found: ${socketPath}`, hints.netdNotRunning(h));
      if (errno === 'EACCES') return denied(ctx, `cannot stat ${socketPath} (EACCES)`);
      return failed('fatal', `netd socket cannot be inspected: ${socketPath} (${errno ?? 'error'})`, hints.netdUnresponsive(h));
    }
    if (info.kind !== 'socket') return failed('fatal', `netd path exists but is not a socket: ${socketPath} is ${describeKind(info.kind)}`, hints.netdNotSocket(h, socketPath));
    const group = await ctx.host.users.group(ctx.config.netdGroup);
    const problems = await permissionProblems(ctx, info, group);
    if (problems.length > 0) {
      return failed('fatal', `Socket permissions wrong: ${socketPath}: ${problems.join('; ')}`, hints.netdPermissions(h, ctx.config.netdGroup));
    }
    if (mustComputeAccess(ctx.host, ctx.identity)) {
      const problem = await accessProblem(ctx.host, info, ctx.identity, 'w');
      if (problem) return denied(ctx, problem, group);
    }
    return converse(ctx, group);
  },
};

async function permissionProblems(ctx: CheckContext, info: FileInfo, group: GroupEntry | null): Promise<string[]> {
  const problems: string[] = [];
  if (info.uid !== 0) problems.push(`Socket owner is UID ${info.uid}, expected 0 (root)`);
  if (group && info.gid !== group.gid) {
    const actual = (await ctx.host.users.groupById(info.gid))?.name ?? `GID ${info.gid}`;
    problems.push(`Socket group is ${actual}, expected ${group.name}`);
  }
  if (info.mode !== SOCKET_MODE) problems.push(`Socket mode is ${formatMode(info.mode)}, expected 0660 (no world access)`);
  return problems;
}

async function denied(ctx: CheckContext, why: string, known?: GroupEntry | null): Promise<CheckResult> {
  const name = ctx.config.netdGroup;
  const group = known === undefined ? await ctx.host.users.group(name) : known;
  // In the group database but not in this login's groups: the membership needs a new login.
  const stale = group !== null && group.members.includes(ctx.identity.name) && !ctx.identity.groups.includes(group.gid);
  return failed('fatal', `Permission denied connecting to netd socket: ${why}`, hints.netdDenied(hintContextOf(ctx), name, group !== null, stale));
}

/** Why a daemon that answered is less complete than OctoLab's client expects (each names what is missing), or []. */
function shortfalls(identity: NetdIdentity, ping: PingView): string[] {
  const found: string[] = [];
  if (identity.hello === null) found.push("it answers no hello (UNKNOWN_OP: the old per-lab daemon; OctoLab's current backend refuses it for alloc_vm_net)");
  if (ping.missing.includes('result')) found.push('its ping reply has no result (so no result.status)');
  else if (ping.status === null) found.push('its ping reply has no result.status');
  else if (ping.status !== 'ok') found.push(`its ping status is ${JSON.stringify(clip(ping.status, 40))}, not "ok"`);
  return found;
}

/** hello then ping, within one 2 s budget; a NetdError becomes the matching finding. */
async function converse(ctx: CheckContext, group: GroupEntry | null): Promise<CheckResult> {
  const socketPath = ctx.config.netdSocket;
  const h = hintContextOf(ctx);
  const deadline = Date.now() + NETD_TIMEOUT_MS;
  const client = () => createNetdClient({ sockets: ctx.host.sockets, socketPath, timeoutMs: Math.max(1, deadline - Date.now()) });
  let op = 'hello';
  try {
    const identity = await client().identify();
    op = 'ping';
    const ping = await client().ping();
    const hello = identity.hello;
    const build = hello?.build_id ? clip(hello.build_id, 40) : 'unknown';
    const design = identity.design ?? 'unknown';
    const facts = { netd_api_version: hello ? String(hello.api_version) : 'unknown', netd_build_id: build, netd_design: design };
    const about = `${design === 'unknown' ? 'design unknown' : `${design} design`}, api_version ${facts.netd_api_version}, build ${build}`;
    const missing = shortfalls(identity, ping);
    if (missing.length > 0) {
      return failed('warn', `netd running and responding (perms OK), but ${missing.join('; ')}: ${socketPath} (${about})`, `Update microvm-netd to one that answers hello and ping with result.status "ok", as OctoLab's client expects. ${hints.netdUnresponsive(h)}`, facts);
    }
    return passed(`netd running and responding (perms OK): ${socketPath} (${about})`, facts);
  } catch (error) {
    if (!(error instanceof NetdError)) throw error;
    const errno = error.reason;
    if (error.code === 'EACCES') return denied(ctx, `${socketPath} (EACCES for ${ctx.identity.name})`, group);
    if (error.code === 'NETD_UNAVAILABLE' && errno === 'ECONNREFUSED') {
      return failed('fatal', `netd ping failed: ${socketPath}: connection refused (stale socket, no daemon listening)`, hints.netdNotRunning(h));
    }
    if (error.code === 'NETD_UNAVAILABLE' && errno === 'ETIMEDOUT') {
      return failed('fatal', `netd ping failed: no answer to ${op} within ${NETD_TIMEOUT_MS / 1000} s on ${socketPath}`, hints.netdUnresponsive(h));
    }
    if (error.code === 'NETD_PROTOCOL_ERROR' || error.code === 'NETD_COMPAT_ERROR') {
      return failed('fatal', `netd ${op} failed: ${clip(error.summary)}`, hints.netdProtocol());
    }
    return failed('fatal', `netd ping failed: ${clip(error.summary)}`, hints.netdUnresponsive(h));
  }
}
