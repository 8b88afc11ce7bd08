import { describe, expect, it } from 'vitest';
import { buildDoctorReport, describeExit, type DoctorCheckEntry } from '../../../lib/doctor/report.ts';
import type { Severity } from '../../../lib/doctor/check.ts';

function entry(name: string, ok: boolean, severity: Severity): DoctorCheckEntry {
  return { name, ok, severity, details: `${name} details`, hint: ok ? '' : `${name} hint`, title: name, skipped: null, duration_ms: 0, facts: {} };
}

function build(checks: DoctorCheckEntry[], strict = false) {
  return buildDoctorReport({ checks, generatedAt: '2024-05-01T12:00:00.000Z', strict, runtime: 'firecracker', host: {}, configSources: {}, durationMs: 1 });
}

describe('buildDoctorReport', () => {
  it('says "Firecracker available and ready" when every check passed', () => {
    expect(build([entry('kvm', true, 'info'), entry('netd', true, 'info')])).toMatchObject({
      ok: true,
      summary: 'Firecracker available and ready',
      fatal_count: 0,
      warn_count: 0,
      exit_code: 0,
    });
  });

  it('counts failed warnings and says "available with N warning(s)"; warnings keep ok true and exit 0', () => {
    expect(build([entry('jailer', false, 'warn'), entry('vsock', false, 'warn'), entry('kvm', true, 'info')])).toMatchObject({
      ok: true,
      summary: 'Firecracker available with 2 warning(s)',
      warn_count: 2,
      exit_code: 0,
    });
  });

  it('names every failed fatal check in upstream\'s summary and exits 2', () => {
    expect(build([entry('kvm', false, 'fatal'), entry('jailer', false, 'warn'), entry('netd', false, 'fatal')])).toMatchObject({
      ok: false,
      summary: 'Firecracker unavailable: kvm, netd check(s) failed',
      fatal_count: 2,
      warn_count: 1,
      exit_code: 2,
    });
  });

  it('does not count a passed check with severity warn as a warning (upstream\'s warn_checks)', () => {
    expect(build([entry('jailer', true, 'warn')])).toMatchObject({ warn_count: 0, summary: 'Firecracker available and ready', exit_code: 0 });
  });

  it('does not count a skipped check (severity info) as fatal or warning', () => {
    expect(build([{ ...entry('kvm_guest', false, 'info'), skipped: 'needs kvm to pass first' }])).toMatchObject({ ok: true, fatal_count: 0, warn_count: 0 });
  });

  it.each([
    ['a failed warning', [entry('vsock', false, 'warn')], 3],
    ['a passed check with severity warn', [entry('jailer', true, 'warn')], 3],
    ['no warning', [entry('kvm', true, 'info')], 0],
    ['a fatal failure and a warning (fatal wins)', [entry('kvm', false, 'fatal'), entry('vsock', false, 'warn')], 2],
  ])('with --strict, exits according to %s', (_name, checks, code) => {
    expect(build(checks, true).exit_code).toBe(code);
  });

  it.each([
    [[entry('kvm', false, 'fatal')], false, 'exit 2: a fatal check failed'],
    [[entry('vsock', false, 'warn'), entry('jailer', true, 'warn')], true, 'exit 3: --strict and vsock, jailer warned'],
    [[entry('kvm', true, 'info')], false, 'exit 0'],
  ])('explains its exit code (%#)', (checks, strict, text) => {
    expect(describeExit(build(checks, strict))).toBe(text);
  });
});
