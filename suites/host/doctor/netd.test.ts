import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDoctorConfig } from '../../../fixtures/doctor-hosts.ts';
import { netdCheck } from '../../../lib/doctor/checks/netd.ts';
import type { DoctorCheckJson } from '../../../lib/doctor/render-json.ts';
import { runDoctor } from '../../../lib/doctor/run-doctor.ts';
import type { Host } from '../../../lib/host/types.ts';
import type { TestContext } from 'vitest';
import { createRealHost } from '../../../lib/host/real-host.ts';
import { requireRoot, requireTools } from '../../support/require.ts';
import { Throwaway, existsInDatabase, hostAsSudoUser } from './throwaway.ts';
import { startTinyNetd } from './tiny-netd.ts';
import { startSharedNetdProcess } from '../../../fixtures/fake-shared-netd/spawn.ts';
import { createNetns, deleteNetns, startDaemon } from '../netd/support.ts';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/octolab-verify.cjs');
const made = new Throwaway();
afterEach(() => made.cleanup());

function prerequisites(ctx: TestContext): void {
  requireRoot(ctx);
  requireTools(ctx, 'users', ['useradd', 'userdel', 'groupadd', 'groupdel', 'runuser']);
}

async function check(host: Host, socketPath: string, group: string) {
  const report = await runDoctor({ host, config: makeDoctorConfig({ netdSocket: socketPath, netdGroup: group }), checks: [netdCheck], gatherFacts: async () => ({}) });
  return report.checks[0]!;
}

/** A group, a member and an outsider, a traversable directory, and a socket path in it. */
async function world() {
  const group = await made.group('ovdg');
  const member = await made.user('ovdm', [group.name]);
  const outsider = await made.user('ovdo');
  const dir = await made.directory();
  return { group, member, outsider, dir, socketPath: path.join(dir, 'microvm-netd.sock') };
}

async function serve(socketPath: string, owner: { uid: number; gid: number; mode: number }) {
  const netd = await startTinyNetd(socketPath, owner);
  made.defer(() => netd.close());
  return netd;
}

/** Runs `octolab-verify doctor --json` as `user` (a real login: runuser sets its groups) and returns the netd check. */
async function doctorAs(user: string, cwd: string, env: Record<string, string>): Promise<{ exitCode: number | undefined; netd: DoctorCheckJson }> {
  const result = await execa('runuser', ['-u', user, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, CLI, 'doctor', '--json'], {
    cwd,
    reject: false,
    timeout: 60_000,
  });
  if (!result.stdout.startsWith('{')) throw new Error(`doctor as ${user} printed no JSON (exit ${result.exitCode}): ${result.stderr}`);
  const report = JSON.parse(result.stdout) as { checks: DoctorCheckJson[] };
  return { exitCode: result.exitCode, netd: report.checks.find((c) => c.name === 'netd')! };
}

describe('the netd check against a real unix socket', () => {
  it('passes on root:<group> 0660 answering hello then ping, judged for a member of the group', { tags: ['root', 'users', 'net'] }, async (ctx) => {
    prerequisites(ctx);
    const { group, member, socketPath } = await world();
    const netd = await serve(socketPath, { uid: 0, gid: group.gid, mode: 0o660 });
    const result = await check(hostAsSudoUser(member), socketPath, group.name);
    expect(result).toMatchObject({ ok: true, severity: 'info', details: `netd running and responding (perms OK): ${socketPath} (design unknown, api_version 1, build tiny-netd)` });
    expect(result.facts).toMatchObject({ netd_design: 'unknown' });
    expect(netd.requests.map((r) => JSON.parse(r).op)).toEqual(['hello', 'ping']);
  });

  it('passes on the shared-bridge fake (upstream\'s hello and ping, §2.5) on a real root:<group> 0660 socket, reporting its design', { tags: ['root', 'users', 'net'], timeout: 60_000 }, async (ctx) => {
    prerequisites(ctx);
    const { group, member, socketPath } = await world();
    const netd = await startSharedNetdProcess({ socketPath, fakeTools: true, mode: '660', group: group.gid });
    made.defer(async () => void (await netd.stop()));
    const result = await check(hostAsSudoUser(member), socketPath, group.name);
    expect(result).toMatchObject({ ok: true, severity: 'info', details: `netd running and responding (perms OK): ${socketPath} (shared-bridge design, api_version 1, build netd-1)` });
    expect(result.facts).toMatchObject({ netd_design: 'shared-bridge', netd_build_id: 'netd-1' });
    // Its log is whole once it has exited.
    expect((await netd.stop()).exitCode).toBe(0);
    expect(netd.log().filter((line) => line.startsWith('op='))).toEqual(['op=hello', 'op=ping']);
  });

  it("passes on this project's reference daemon (the daemon's own code on a real root:<group> 0660 socket, links in a namespace), reporting the per-lab design, in process and through the launcher", { tags: ['root', 'users', 'net', 'slow'], timeout: 90_000 }, async (ctx) => {
    prerequisites(ctx);
    requireTools(ctx, 'net', ['ip']);
    const { group, member, dir, socketPath } = await world();
    const netns = await createNetns();
    made.defer(() => deleteNetns(netns));
    const netd = await startDaemon({ netns, socketPath, group: group.name });
    made.defer(() => netd.daemon.stop());
    const details = `netd running and responding (perms OK): ${socketPath} (per-lab design, api_version 1, build octolab-verify-netd-1)`;
    const result = await check(hostAsSudoUser(member), socketPath, group.name);
    expect(result).toMatchObject({ ok: true, severity: 'info', details });
    expect(result.facts).toEqual({ netd_api_version: '1', netd_build_id: 'octolab-verify-netd-1', netd_design: 'per-lab' });
    // The same through the launcher, run by the member (a real login with the group).
    const launched = await doctorAs(member.name, dir, { OCTOLAB_MICROVM_NETD_SOCK: socketPath, OCTOLAB_NETD_GROUP: group.name, NO_COLOR: '1' });
    expect(launched.netd).toMatchObject({ ok: true, severity: 'info', details });
    expect(netd.log.filter((line) => line.startsWith('op=')).map((line) => `${line.split(' ')[0]} uid=${/uid=(\d+)/.exec(line)?.[1]}`)).toEqual([
      'op=hello uid=0',
      'op=ping uid=0',
      `op=hello uid=${member.uid}`,
      `op=ping uid=${member.uid}`,
    ]);
  });

  it.for([
    ['mode 0666', (g: number) => ({ uid: 0, gid: g, mode: 0o666 }), 'Socket mode is 0666, expected 0660 (no world access)'],
    ['mode 0600', (g: number) => ({ uid: 0, gid: g, mode: 0o600 }), 'Socket mode is 0600, expected 0660 (no world access)'],
    ['group root', () => ({ uid: 0, gid: 0, mode: 0o660 }), 'Socket group is root, expected ovdg'],
  ] as const)('fails fatally on the wrong %s', { tags: ['root', 'users', 'net'] }, async ([, owner, problem], ctx) => {
    prerequisites(ctx);
    const { group, member, socketPath } = await world();
    await serve(socketPath, owner(group.gid));
    const result = await check(hostAsSudoUser(member), socketPath, group.name);
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toBe(`Socket permissions wrong: ${socketPath}: ${problem.replace('ovdg', group.name)}`);
    expect(result.hint).toContain(`Expected: root:${group.name} with mode 0660.`);
  });

  it('fails for a sudo user outside the group (computed: root itself could connect) with the join-and-new-login hint', { tags: ['root', 'users', 'net'] }, async (ctx) => {
    prerequisites(ctx);
    const { group, outsider, socketPath } = await world();
    const netd = await serve(socketPath, { uid: 0, gid: group.gid, mode: 0o660 });
    const result = await check(hostAsSudoUser(outsider), socketPath, group.name);
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toBe(`Permission denied connecting to netd socket: ${outsider.name} (uid ${outsider.uid}) cannot write ${socketPath}: mode 0660 root:${group.name}`);
    expect(result.hint).toContain(`Join the ${group.name} group: \`sudo usermod -aG ${group.name} ${outsider.name}\``);
    expect(result.hint).toMatch(/log out and back in|wsl --terminate/);
    expect(netd.requests).toEqual([]);
  });

  it('reports the real EACCES when the outsider runs the doctor itself, and passes for a member', { tags: ['root', 'users', 'net', 'slow'] }, async (ctx) => {
    prerequisites(ctx);
    const { group, member, outsider, dir, socketPath } = await world();
    await serve(socketPath, { uid: 0, gid: group.gid, mode: 0o660 });
    const env = { OCTOLAB_MICROVM_NETD_SOCK: socketPath, OCTOLAB_NETD_GROUP: group.name, NO_COLOR: '1' };
    const denied = await doctorAs(outsider.name, dir, env);
    expect(denied.exitCode).toBe(2);
    expect(denied.netd).toMatchObject({ ok: false, severity: 'fatal', details: `Permission denied connecting to netd socket: ${socketPath} (EACCES for ${outsider.name})` });
    expect(denied.netd.hint).toContain(`sudo usermod -aG ${group.name} ${outsider.name}`);
    const allowed = await doctorAs(member.name, dir, env);
    expect(allowed.netd).toMatchObject({ ok: true, severity: 'info' });
  });

  it('fails when the socket is missing, and when the path is a plain file', { tags: ['root'] }, async (ctx) => {
    requireRoot(ctx);
    const dir = await made.directory();
    const socketPath = path.join(dir, 'microvm-netd.sock');
    const host = hostAsRoot();
    const missing = await check(host, socketPath, 'octolab');
    expect(missing).toMatchObject({ ok: false, severity: 'fatal', details: `netd socket not found: ${socketPath}` });
    expect(missing.hint).toMatch(/^microvm-netd is not running: .*`[^`]*netd serve/);
    await fs.writeFile(socketPath, '');
    expect(await check(host, socketPath, 'octolab')).toMatchObject({ ok: false, details: `netd path exists but is not a socket: ${socketPath} is a regular file` });
  });

  it('says netd is not running when the socket is stale (its daemon was killed)', { tags: ['root'] }, async (ctx) => {
    requireRoot(ctx);
    const dir = await made.directory();
    const socketPath = path.join(dir, 'microvm-netd.sock');
    const listener = execa(process.execPath, ['-e', `require('node:net').createServer().listen(process.argv[1], () => console.log('ready'))`, socketPath]);
    made.defer(async () => void (listener.kill('SIGKILL'), await listener.catch(() => undefined)));
    await new Promise<void>((resolve) => listener.stdout!.once('data', () => resolve()));
    listener.kill('SIGKILL');
    await listener.catch(() => undefined);
    await fs.chmod(socketPath, 0o660);
    const group = (await execa('id', ['-gn'])).stdout.trim();
    const result = await check(hostAsRoot(), socketPath, group);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: `netd ping failed: ${socketPath}: connection refused (stale socket, no daemon listening)` });
  });

  it('leaves no users or groups behind', { tags: ['root', 'users'] }, async (ctx) => {
    prerequisites(ctx);
    const { group, member, outsider } = await world();
    await made.cleanup();
    for (const user of [member, outsider]) expect(await existsInDatabase('passwd', user.name)).toBe(false);
    expect(await existsInDatabase('group', group.name)).toBe(false);
  });
});

/** The real host judged for root itself (any SUDO_UID of the invoking shell is dropped). */
function hostAsRoot(): Host {
  const env = { ...process.env };
  delete env.SUDO_UID;
  delete env.SUDO_GID;
  return createRealHost(env);
}
