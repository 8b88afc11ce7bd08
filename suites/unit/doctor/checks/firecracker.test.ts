import { describe, expect, it } from 'vitest';
import { ALICE, PATHS, ROOT, breakers, checkContext, healthyScenario, makeWsl, type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import { parseVersionConstraint } from '../../../../lib/config/index.ts';
import { firecrackerCheck } from '../../../../lib/doctor/checks/firecracker.ts';
import type { RunOptions } from '../../../../lib/host/types.ts';

async function run(s: DoctorScenario) {
  return firecrackerCheck.run(await checkContext(s));
}

function answer(s: DoctorScenario, result: Parameters<DoctorScenario['host']['withCommand']>[1]) {
  s.host.withCommand([PATHS.firecracker, '--version'], result);
}

describe('the firecracker check', () => {
  it('passes with the version line kept in the details and the facts', async () => {
    const result = await run(healthyScenario());
    expect(result).toMatchObject({ ok: true, severity: 'info', details: 'firecracker: Firecracker v1.7.0 (/usr/local/bin/firecracker)' });
    expect(result.facts).toEqual({ firecracker_path: PATHS.firecracker, firecracker_version: 'Firecracker v1.7.0' });
  });

  it('runs --version with an argument array and a 3 s timeout', async () => {
    const s = healthyScenario();
    const seen: RunOptions[] = [];
    const real = s.host.proc.run;
    s.host.proc.run = (file, args, options) => {
      seen.push(options);
      return real(file, args, options);
    };
    await run(s);
    expect(s.host.calls).toEqual(['/usr/local/bin/firecracker --version']);
    expect(seen).toEqual([{ timeoutMs: 3000 }]);
  });

  it.each([
    [false, /`sudo octolab-verify setup --kernel-sha256 <sha256\|skip>`.*releases\/tag\/v1\.7\.0.*OCTOLAB_FIRECRACKER_BIN/],
    [true, /`sudo octolab-verify setup --kernel-sha256 <sha256\|skip>`.*firecracker-v1\.7\.0-x86_64\.tgz/],
  ])('fails fatally when it is not on PATH (WSL %s) with the install hint', async (wsl, hint) => {
    const s = healthyScenario();
    if (wsl) makeWsl(s);
    breakers.firecrackerMissing(s);
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: 'firecracker binary not found: firecracker is not on PATH' });
    expect(result.hint).toMatch(hint);
  });

  it('fails fatally when a configured path does not exist', async () => {
    const s = healthyScenario();
    s.config.firecrackerBin = '/opt/fc/firecracker';
    expect(await run(s)).toMatchObject({ ok: false, severity: 'fatal', details: 'firecracker binary not found at /opt/fc/firecracker' });
  });

  it('fails fatally when the configured path is a directory', async () => {
    const s = healthyScenario();
    s.config.firecrackerBin = '/usr/local/bin';
    expect((await run(s)).details).toBe('firecracker path is not a file: /usr/local/bin is a directory');
  });

  it('fails when the sudo user may not execute it (computed, root could)', async () => {
    const s = healthyScenario({ identity: ALICE });
    s.host.withFile(PATHS.firecracker, { kind: 'file', mode: 0o700, uid: 0, gid: 0 });
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toBe('firecracker binary not executable: alice (uid 1000) cannot execute /usr/local/bin/firecracker: mode 0700 root:root');
    expect(result.hint).toBe('Make it executable for alice: `sudo chmod 755 /usr/local/bin/firecracker` (and make sure its directories are searchable).');
    expect(s.host.calls).toEqual([]);
  });

  it('fails when no execute bit is set, even for root', async () => {
    const s = healthyScenario({ identity: ROOT });
    s.config.firecrackerBin = PATHS.firecracker;
    s.host.withFile(PATHS.firecracker, { kind: 'file', mode: 0o644 });
    expect((await run(s)).details).toMatch(/^firecracker binary not executable: root \(uid 0\) cannot execute/);
  });

  it('reports a spawn refused with EACCES as not executable', async () => {
    const s = healthyScenario();
    answer(s, { spawnErrno: 'EACCES' });
    expect(await run(s)).toMatchObject({ ok: false, severity: 'fatal', details: 'firecracker binary not executable: /usr/local/bin/firecracker (could not start: EACCES)' });
  });

  it.each([
    ['a non-zero exit, with stderr', { exitCode: 1, stderr: 'error while loading shared libraries\n' }, 'firecracker --version failed (exit 1: error while loading shared libraries)'],
    ['a timeout', { timedOut: true, exitCode: null, signal: 'SIGKILL' }, 'firecracker --version failed: timed out after 3 s'],
    ['a kill by a signal', { exitCode: null, signal: 'SIGSEGV' }, 'firecracker --version failed (killed by SIGSEGV)'],
    ['a spawn failure other than EACCES', { spawnErrno: 'ENOENT' }, 'firecracker --version failed: could not start: ENOENT'],
  ])('fails fatally on %s', async (_name, result, details) => {
    const s = healthyScenario();
    answer(s, result);
    const verdict = await run(s);
    expect(verdict).toMatchObject({ ok: false, severity: 'fatal', details });
    expect(verdict.hint).toMatch(/should print "Firecracker v1\.7\.0"/);
  });

  it('fails when the first line is not "Firecracker vX.Y.Z"', async () => {
    const s = healthyScenario();
    answer(s, { stdout: 'qemu-system-x86_64 version 8.0\n' });
    expect((await run(s)).details).toBe('firecracker --version printed an unexpected first line: "qemu-system-x86_64 version 8.0" (expected "Firecracker v1.7.0")');
  });

  it('removes terminal control characters from what the binary printed', async () => {
    const s = healthyScenario();
    answer(s, { stdout: '\u001b[2J\u001b]0;pwned\u0007Firecracker v9\n' });
    const details = (await run(s)).details;
    expect(details).not.toMatch(/[\u0000-\u001f]/);
    expect(details).toContain('[2J');
  });

  it('fails fatally on a version that does not meet the constraint, keeping the version found', async () => {
    const s = healthyScenario();
    breakers.firecrackerOldVersion(s);
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: 'firecracker: Firecracker v1.6.0 at /usr/local/bin/firecracker, expected 1.7.0' });
    expect(result.hint).toContain('OCTOLAB_FIRECRACKER_VERSION');
    expect(result.facts?.firecracker_version).toBe('Firecracker v1.6.0');
  });

  it.each([
    ['1.7', 'Firecracker v1.7.3', true],
    ['1.7', 'Firecracker v1.8.0', false],
    ['>=1.7.0', 'Firecracker v1.10.1', true],
    ['>=1.7.0', 'Firecracker v1.6.9', false],
    ['1.7.0', 'Firecracker v1.7.0-dirty', true],
  ])('with constraint %s, %s passes: %s', async (constraint, line, ok) => {
    const s = healthyScenario();
    s.config.firecrackerVersion = parseVersionConstraint(constraint);
    answer(s, { stdout: `${line}\n` });
    expect((await run(s)).ok).toBe(ok);
  });
});
