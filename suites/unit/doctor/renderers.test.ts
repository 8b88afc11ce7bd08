import { describe, expect, it } from 'vitest';
import { breakers, healthyScenario, makeWsl } from '../../../fixtures/doctor-hosts.ts';
import { renderDoctorJson, toDoctorJson } from '../../../lib/doctor/render-json.ts';
import { renderDoctorJUnit } from '../../../lib/doctor/render-junit.ts';
import { renderDoctorText, statusLabel } from '../../../lib/doctor/render-text.ts';
import { runStable } from './doctor-support.ts';

const ANSI = /\u001b\[/;

async function mixedReport() {
  const s = makeWsl(healthyScenario());
  breakers.kvmMissing(s);
  return runStable(s);
}

describe('renderDoctorJson', () => {
  it('puts upstream\'s six report fields first, in upstream\'s order, then the additions', async () => {
    const json = JSON.parse(renderDoctorJson(await mixedReport())) as Record<string, unknown>;
    expect(Object.keys(json).slice(0, 6)).toEqual(['ok', 'checks', 'summary', 'generated_at', 'fatal_count', 'warn_count']);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['exit_code', 'strict', 'runtime', 'host', 'config_sources', 'duration_ms']));
  });

  it('puts upstream\'s five check fields first in every check', async () => {
    const json = toDoctorJson(await mixedReport());
    for (const check of json.checks) expect(Object.keys(check).slice(0, 5)).toEqual(['name', 'ok', 'severity', 'details', 'hint']);
  });

  it('carries the host facts and ends with a newline', async () => {
    const text = renderDoctorJson(await mixedReport());
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text).host).toMatchObject({ kernel_release: '6.1.0-13-amd64', wsl: 'yes (/proc/sys/fs/binfmt_misc/WSLInterop exists)' });
  });

  it('is pure: the same report renders the same twice and is not changed', async () => {
    const report = await mixedReport();
    const before = structuredClone(report);
    expect(renderDoctorJson(report)).toBe(renderDoctorJson(report));
    renderDoctorText(report, { color: true });
    renderDoctorJUnit(report);
    expect(report).toEqual(before);
  });
});

describe('renderDoctorText', () => {
  it('uses colour only when asked', async () => {
    const report = await mixedReport();
    expect(renderDoctorText(report, { color: false })).not.toMatch(ANSI);
    const coloured = renderDoctorText(report, { color: true });
    expect(coloured).toContain('\u001b[31mFAIL\u001b[0m');
    expect(coloured).toContain('\u001b[33mWARN\u001b[0m');
    expect(coloured).toContain('\u001b[32mOK  \u001b[0m');
    expect(coloured).toContain('\u001b[90mSKIP\u001b[0m');
  });

  it('shows every check with its fix, the host facts, the summary and the exit code explained', async () => {
    const text = renderDoctorText(await mixedReport(), { color: false });
    expect(text).toMatch(/FAIL {2}kvm +\/dev\/kvm not found\n +fix: Nested virtualization is off/);
    expect(text).toMatch(/SKIP {2}kvm_guest +skipped: needs kvm to pass first/);
    expect(text).toMatch(/kernel_release +6\.1\.0-13-amd64/);
    expect(text).toContain('Firecracker unavailable: kvm check(s) failed\n1 fatal, 1 warning(s); exit 2: a fatal check failed\n');
  });

  it.each([
    [{ ok: true, severity: 'info', skipped: null }, 'OK'],
    [{ ok: true, severity: 'warn', skipped: null }, 'WARN'],
    [{ ok: false, severity: 'warn', skipped: null }, 'WARN'],
    [{ ok: false, severity: 'fatal', skipped: null }, 'FAIL'],
    [{ ok: false, severity: 'info', skipped: 'needs kvm' }, 'SKIP'],
  ] as const)('labels %o as %s', (entry, label) => {
    expect(statusLabel({ name: 'x', details: '', hint: '', title: '', duration_ms: 0, facts: {}, ...entry })).toBe(label);
  });
});

describe('renderDoctorJUnit', () => {
  it('maps fatal to failure, warn to passed with the warning in system-out, and skipped to skipped with its reason', async () => {
    const xml = renderDoctorJUnit(await mixedReport());
    expect(xml).toContain('<testsuites name="octolab-verify doctor" tests="9" failures="1" errors="0" skipped="1">');
    expect(xml).toMatch(/name="kvm: KVM device usable" time="0">\s*<failure message="\/dev\/kvm not found"><!\[CDATA\[\/dev\/kvm not found\nhint: Nested virtualization is off/);
    expect(xml).toContain('<skipped message="needs kvm to pass first"/>');
    expect(xml).toMatch(/name="jailer: Jailer binary" time="0">\s*<system-out><!\[CDATA\[WARN jailer: jailer not found \(WSL detected\)/);
  });

  it('carries host facts, summary and exit code as suite properties', async () => {
    const xml = renderDoctorJUnit(await mixedReport());
    expect(xml).toContain('<property name="kernel_release" value="6.1.0-13-amd64"/>');
    expect(xml).toContain('<property name="runtime_user" value="alice (uid 1000, via sudo)"/>');
    expect(xml).toContain('<property name="summary" value="Firecracker unavailable: kvm check(s) failed"/>');
    expect(xml).toContain('<property name="exit_code" value="2"/>');
  });
});
