import { describe, expect, it } from 'vitest';
import { PATHS, breakers, checkContext, healthyScenario, makeWsl, type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import { jailerCheck } from '../../../../lib/doctor/checks/jailer.ts';

async function run(s: DoctorScenario) {
  return jailerCheck.run(await checkContext(s));
}

describe('the jailer check', () => {
  it('passes as info with the version when present', async () => {
    const result = await run(healthyScenario());
    expect(result).toMatchObject({ ok: true, severity: 'info', details: 'jailer: Jailer v1.7.0 (/usr/local/bin/jailer)', hint: '' });
    expect(result.facts).toMatchObject({ jailer_version: 'Jailer v1.7.0' });
  });

  it('passes with severity warn when --version fails (upstream: status OK, severity warn)', async () => {
    const s = healthyScenario();
    s.host.withCommand([PATHS.jailer, '--version'], { exitCode: 1, stderr: '' });
    const result = await run(s);
    expect(result).toMatchObject({ ok: true, severity: 'warn', details: 'jailer found but --version failed (exit 1)' });
    expect(result.hint).toContain('Jailer v1.7.0');
  });

  it('passes with severity warn when --version prints something unexpected', async () => {
    const s = healthyScenario();
    s.host.withCommand([PATHS.jailer, '--version'], { stdout: 'jailer 0.1\n' });
    expect(await run(s)).toMatchObject({ ok: true, severity: 'warn', details: 'jailer found but --version printed an unexpected first line: "jailer 0.1"' });
  });

  it('passes with severity warn when its version does not match firecracker', async () => {
    const s = healthyScenario();
    s.host.withCommand([PATHS.jailer, '--version'], { stdout: 'Jailer v1.6.0\n\n' });
    expect(await run(s)).toMatchObject({ ok: true, severity: 'warn', details: 'jailer: Jailer v1.6.0 at /usr/local/bin/jailer, expected 1.7.0 to match firecracker' });
  });

  it('is FATAL when missing in production (no WSL, no dev flag)', async () => {
    const s = healthyScenario();
    breakers.jailerMissing(s);
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: 'jailer binary not found; looked for jailer on PATH' });
    expect(result.hint).toMatch(/Install jailer: run `sudo octolab-verify setup .*jailer-v1\.7\.0-x86_64.*Required for production/);
  });

  it('is WARN when missing under WSL, with upstream\'s text', async () => {
    const s = makeWsl(healthyScenario());
    s.config.allowNoJailer = false;
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'warn', details: 'jailer not found (WSL detected); looked for jailer on PATH' });
    expect(result.hint).toBe('Jailer not required in WSL dev environment. Production requires jailer.');
  });

  it('is WARN when missing with OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER set', async () => {
    const s = healthyScenario();
    breakers.jailerMissing(s);
    s.config.allowNoJailer = true;
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'warn', details: 'jailer not found (OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER=true); looked for jailer on PATH' });
    expect(result.hint).toBe('Running without jailer is UNSAFE. Only for development.');
  });

  it('lets WSL take precedence over the dev flag, as upstream', async () => {
    const s = makeWsl(healthyScenario());
    expect((await run(s)).details).toMatch(/^jailer not found \(WSL detected\)/);
  });

  it('looks at config.jailerBin and treats a non-executable jailer like a missing one', async () => {
    const s = healthyScenario();
    s.config.jailerBin = '/srv/jailer';
    s.host.withFile('/srv', { kind: 'directory', mode: 0o755 }).withFile('/srv/jailer', { kind: 'file', mode: 0o600 });
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toBe('jailer binary not found; jailer binary not executable: alice (uid 1000) cannot execute /srv/jailer: mode 0600 root:root');
  });
});
