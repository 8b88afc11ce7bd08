import { describe, expect, it } from 'vitest';
import { ALICE, GIDS, PATHS, breakers, checkContext, healthyScenario, makeWsl, netdHandler, type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import type { FakeFile, FakeSocketHandler } from '../../../../fixtures/fake-host.ts';
import { netdCheck } from '../../../../lib/doctor/checks/netd.ts';
import type { UnixRequestOptions } from '../../../../lib/host/types.ts';
import { InProcessNetd } from '../../../../fixtures/fake-netd.ts';
import { InProcessSharedNetd } from '../../../../fixtures/fake-shared-netd/in-process.ts';

const SOCK = PATHS.netd;

async function run(s: DoctorScenario) {
  return netdCheck.run(await checkContext(s));
}

function withSocket(file: Partial<FakeFile>, handler: FakeSocketHandler = netdHandler(), s = healthyScenario()): DoctorScenario {
  s.host.withSocket(SOCK, handler, { mode: 0o660, uid: 0, gid: GIDS.octolab, ...file });
  return s;
}

/** A netd that answers hello normally and `reply` to everything else. */
function helloThen(reply: ReturnType<FakeSocketHandler>): FakeSocketHandler {
  const normal = netdHandler();
  return (payload) => (payload.toString().includes('"hello"') ? normal(payload) : reply);
}

describe('the netd check', () => {
  it('passes when root:octolab 0660 answers hello then ping', async () => {
    const s = healthyScenario();
    const result = await run(s);
    expect(result).toMatchObject({ ok: true, severity: 'info', details: `netd running and responding (perms OK): ${SOCK} (shared-bridge design, api_version 1, build netd-1)` });
    expect(result.facts).toEqual({ netd_api_version: '1', netd_build_id: 'netd-1', netd_design: 'shared-bridge' });
    expect(s.host.calls).toEqual([`unix ${SOCK} {"op":"hello"}`, `unix ${SOCK} {"op":"ping"}`]);
  });

  it('gives hello and ping one 2 s budget between them', async () => {
    const s = healthyScenario();
    const seen: UnixRequestOptions[] = [];
    const real = s.host.sockets.unixRequest;
    s.host.sockets.unixRequest = (path, payload, options) => {
      seen.push(options);
      return real(path, payload, options);
    };
    await run(s);
    expect(seen).toHaveLength(2);
    for (const options of seen) expect(options.timeoutMs).toBeGreaterThan(0);
    expect(seen[0]!.timeoutMs).toBeLessThanOrEqual(2000);
    expect(seen[1]!.timeoutMs).toBeLessThanOrEqual(seen[0]!.timeoutMs);
  });

  it.each([
    [false, 'systemd does not run here, so start it by hand: `sudo octolab-verify netd serve` (foreground; keep it running)'],
    [true, 'systemd does not run here, so start it by hand: `sudo octolab-verify netd serve`'],
  ])('fails when the socket is missing (WSL %s) with the start-netd hint', async (wsl, hint) => {
    const s = healthyScenario();
    if (wsl) makeWsl(s);
    breakers.netdMissing(s);
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: `netd socket not found: ${SOCK}` });
    expect(result.hint).toContain(hint);
  });

  it('fails as permission denied when the socket cannot even be stat\'ed', async () => {
    expect((await run(withSocket({ statErrno: 'EACCES' })))).toMatchObject({ severity: 'fatal', details: `Permission denied connecting to netd socket: cannot stat ${SOCK} (EACCES)` });
  });

  it('fails on a stat error other than EACCES', async () => {
    expect((await run(withSocket({ statErrno: 'ELOOP' }))).details).toBe(`netd socket cannot be inspected: ${SOCK} (ELOOP)`);
  });

  it('fails when the path is not a socket, with a hint to remove the stale file', async () => {
    const s = healthyScenario();
    s.host.withFile(SOCK, { kind: 'file', mode: 0o660 });
    const result = await run(s);
    expect(result.details).toBe(`netd path exists but is not a socket: ${SOCK} is a regular file`);
    expect(result.hint).toContain(`sudo rm ${SOCK}`);
  });

  it.each([
    ['owner', { uid: 1000 }, 'Socket owner is UID 1000, expected 0 (root)'],
    ['group', { gid: 0 }, 'Socket group is root, expected octolab'],
    ['an unnamed group', { gid: 4242 }, 'Socket group is GID 4242, expected octolab'],
    ['mode 0666', { mode: 0o666 }, 'Socket mode is 0666, expected 0660 (no world access)'],
    ['a more restrictive 0600', { mode: 0o600 }, 'Socket mode is 0600, expected 0660 (no world access)'],
  ])('fails on the wrong %s', async (_name, file, problem) => {
    const result = await run(withSocket(file));
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: `Socket permissions wrong: ${SOCK}: ${problem}` });
    expect(result.hint).toContain('Expected: root:octolab with mode 0660.');
  });

  it('lists every permission problem at once', async () => {
    expect((await run(withSocket({ uid: 7, gid: 0, mode: 0o777 }))).details).toBe(
      `Socket permissions wrong: ${SOCK}: Socket owner is UID 7, expected 0 (root); Socket group is root, expected octolab; Socket mode is 0777, expected 0660 (no world access)`,
    );
  });

  it('uses the builder for the wrong-mode state', async () => {
    const s = healthyScenario();
    breakers.netdWrongMode(s);
    expect((await run(s)).details).toContain('Socket mode is 0666');
  });

  it.each([
    [false, /Join the octolab group: `sudo usermod -aG octolab alice`, then log out and back in \(or `newgrp octolab` in this shell\)/],
    [true, /`sudo usermod -aG octolab alice`, then start a new login: `wsl --terminate Ubuntu-24\.04`/],
  ])('denies a sudo user outside the group (computed; root could connect) (WSL %s)', async (wsl, hint) => {
    const s = healthyScenario();
    if (wsl) makeWsl(s);
    breakers.netdDenied(s);
    s.host.withFile('/run/octolab', { kind: 'directory', mode: 0o755 });
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toBe(`Permission denied connecting to netd socket: alice (uid 1000) cannot write ${SOCK}: mode 0660 root:octolab`);
    expect(result.hint).toMatch(hint);
    expect(s.host.calls).toEqual([]);
  });

  it('skips the group check when the group does not exist, and then says to create it', async () => {
    const s = healthyScenario();
    s.host.groups.delete('octolab');
    s.host.identity = { ...ALICE, groups: [1000] };
    s.host.withFile('/run/octolab', { kind: 'directory', mode: 0o755 });
    s.host.withSocket(SOCK, netdHandler(), { mode: 0o660, uid: 0, gid: 0 });
    const result = await run(s);
    expect(result.details).toMatch(/^Permission denied connecting to netd socket/);
    expect(result.hint).toContain('`sudo groupadd octolab`, restart microvm-netd, `sudo usermod -aG octolab alice`');
  });

  it('reports a real EACCES for a non-sudo user whose login predates the group membership', async () => {
    const s = withSocket({}, () => ({ errno: 'EACCES' }), healthyScenario({ identity: { ...ALICE, viaSudo: false, groups: [1000] } }));
    s.host.euid = 1000;
    s.host.withFile('/run/octolab', { kind: 'directory', mode: 0o755 });
    const result = await run(s);
    expect(result.details).toBe(`Permission denied connecting to netd socket: ${SOCK} (EACCES for alice)`);
    expect(result.hint).toMatch(/alice is already in group octolab but this login predates it: log out and back in/);
  });

  it('says netd is not running when the socket refuses connections (stale socket)', async () => {
    const s = healthyScenario();
    s.host.sockets_.delete(SOCK);
    const result = await run(s);
    expect(result.details).toBe(`netd ping failed: ${SOCK}: connection refused (stale socket, no daemon listening)`);
    expect(result.hint).toMatch(/^microvm-netd is not running/);
  });

  it('fails when netd does not answer within 2 s', async () => {
    const result = await run(withSocket({}, () => ({ errno: 'ETIMEDOUT' })));
    expect(result.details).toBe(`netd ping failed: no answer to hello within 2 s on ${SOCK}`);
    expect(result.hint).toContain('check its log: the terminal where `netd serve` runs');
  });

  it('names ping when hello worked but ping timed out', async () => {
    expect((await run(withSocket({}, helloThen({ errno: 'ETIMEDOUT' })))).details).toBe(`netd ping failed: no answer to ping within 2 s on ${SOCK}`);
  });

  it.each([
    ['garbage', () => 'HTTP/1.1 400 Bad Request\r\n\r\n', /^netd hello failed: hello: invalid JSON from netd/],
    ['another API version', () => JSON.stringify({ ok: true, api_version: 2, supported_ops: [], build_id: 'x' }), /^netd hello failed: microvm-netd API version mismatch: got 2, need 1/],
  ])('fails when something else answers: %s', async (_name, handler, details) => {
    const result = await run(withSocket({}, handler));
    expect(result.details).toMatch(details);
    expect(result.hint).toMatch(/Something other than microvm-netd/);
  });

  it('fails when ping answers with an error envelope', async () => {
    const result = await run(withSocket({}, helloThen(JSON.stringify({ ok: false, error: { code: 'INTERNAL_ERROR', message: 'boom' } }))));
    expect(result.details).toBe('netd ping failed: netd refused ping: INTERNAL_ERROR: boom');
  });

  it('treats the reply as hostile: control characters are dropped and a long build id is cut', async () => {
    const hostile = JSON.stringify({ ok: true, name: 'x', api_version: 1, supported_ops: ['alloc_vm_net', 'release_vm_net', 'diag_vm_net'], build_id: `\u001b[31m${'A'.repeat(500)}` });
    const result = await run(withSocket({}, (payload) => (payload.toString().includes('hello') ? hostile : netdHandler()(payload))));
    expect(result.ok).toBe(true);
    expect(result.details).not.toMatch(/\u001b/);
    expect(result.facts?.netd_build_id).toHaveLength(40);
  });

  it.each([
    ["upstream's shared-bridge daemon (the fake, §2.5)", () => new InProcessSharedNetd({ socketPath: SOCK }).sockets, 'shared-bridge', 'netd-1'],
    ["this project's per-lab reference daemon", () => new InProcessNetd({ socketPath: SOCK }).sockets, 'per-lab', 'octolab-verify-netd-1'],
    // A build id that tells nothing: the design comes from hello's own design field.
    ["the reference daemon built under another build id", () => new InProcessNetd({ socketPath: SOCK, buildId: 'site-build-7' }).sockets, 'per-lab', 'site-build-7'],
  ])('passes on %s and reports which design answered', async (_label, sockets, design, build) => {
    const s = healthyScenario();
    s.host.sockets.unixRequest = sockets().unixRequest;
    const result = await run(s);
    expect(result).toMatchObject({ ok: true, severity: 'info', details: `netd running and responding (perms OK): ${SOCK} (${design} design, api_version 1, build ${build})` });
    expect(result.facts).toEqual({ netd_api_version: '1', netd_build_id: build, netd_design: design });
  });

  it.each([
    ['a bare {"ok":true} to ping', helloThen('{"ok":true}'), 'its ping reply has no result (so no result.status)', 'shared-bridge design, api_version 1, build netd-1'],
    ['a ping result without status', helloThen('{"ok":true,"result":{"version":"1.0"}}'), 'its ping reply has no result.status', 'shared-bridge design, api_version 1, build netd-1'],
    ['a ping status other than ok', helloThen('{"ok":true,"result":{"status":"degraded"}}'), 'its ping status is "degraded", not "ok"', 'shared-bridge design, api_version 1, build netd-1'],
    [
      'no hello (the old per-lab daemon)',
      (payload: Buffer) => (payload.toString().includes('hello') ? '{"ok":false,"error":"UNKNOWN_OP","message":"Unknown operation: hello"}' : '{"ok":true,"result":{"status":"ok","version":"1.0"}}'),
      "it answers no hello (UNKNOWN_OP: the old per-lab daemon; OctoLab's current backend refuses it for alloc_vm_net)",
      'per-lab design, api_version unknown, build unknown',
    ],
  ] as const)('warns (never fails) on %s, naming what is missing', async (_label, handler, missing, about) => {
    const result = await run(withSocket({}, handler));
    expect(result).toMatchObject({ ok: false, severity: 'warn', details: `netd running and responding (perms OK), but ${missing}: ${SOCK} (${about})` });
    expect(result.hint).toMatch(/^Update microvm-netd to one that answers hello and ping with result.status "ok"/);
    expect(result.facts?.netd_design).toBe(about.split(' ')[0]);
  });

  it('still fails on a daemon whose hello lacks the ops OctoLab needs (wrong daemon behind the socket)', async () => {
    const result = await run(withSocket({}, () => JSON.stringify({ ok: true, api_version: 1, supported_ops: ['hello', 'ping'], build_id: 'x' })));
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toMatch(/^netd hello failed: microvm-netd API mismatch \(wrong daemon behind socket\)/);
  });
});
