import { HostError } from '../../errors.ts';
import type { FileInfo, GroupEntry } from '../../host/types.ts';
import { formatMode } from '../../host/permissions.ts';
import { createNetdClient } from '../../netd/client.ts';
import { NetdError } from '../../netd/errors.ts';
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
 * `hello` then `ping` within 2 s. Every byte of the reply is treated as hostile.
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

/** hello then ping, within one 2 s budget; a NetdError becomes the matching finding. */
async function converse(ctx: CheckContext, group: GroupEntry | null): Promise<CheckResult> {
  const socketPath = ctx.config.netdSocket;
  const h = hintContextOf(ctx);
  const deadline = Date.now() + NETD_TIMEOUT_MS;
  const client = () => createNetdClient({ sockets: ctx.host.sockets, socketPath, timeoutMs: Math.max(1, deadline - Date.now()) });
  let op = 'hello';
  try {
    const hello = await client().hello();
    op = 'ping';
    await client().ping();
    const build = typeof hello.build_id === 'string' ? clip(hello.build_id, 40) : 'unknown';
    const facts = { netd_api_version: String(hello.api_version), netd_build_id: build };
    return passed(`netd running and responding (perms OK): ${socketPath} (api_version ${hello.api_version}, build ${build})`, facts);
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
