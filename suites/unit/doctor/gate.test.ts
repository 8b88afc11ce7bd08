import { describe, expect, it } from 'vitest';
import { breakers, healthyScenario, makeWsl } from '../../../fixtures/doctor-hosts.ts';
import { assertRuntimeReady, enforceRuntimeGate } from '../../../lib/doctor/gate.ts';
import { RuntimeNotReadyError } from '../../../lib/errors.ts';
import { FIXED_CLOCK, FIXED_FACTS, runStable } from './doctor-support.ts';

function brokenReport() {
  const s = healthyScenario();
  breakers.kvmMissing(s);
  breakers.netdMissing(s);
  breakers.vsockMissing(s);
  return runStable(s);
}

describe('the fail-hard gate', () => {
  it('throws RuntimeNotReadyError for runtime firecracker, listing every fatal check with its hint and saying there is no fallback', async () => {
    const report = await brokenReport();
    let error: unknown;
    try {
      assertRuntimeReady(report, 'firecracker');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RuntimeNotReadyError);
    const e = error as RuntimeNotReadyError;
    expect(e.code).toBe('RUNTIME_NOT_READY');
    expect(e.summary).toBe('Cannot start with OCTOLAB_RUNTIME=firecracker: kvm, netd check(s) failed. NO FALLBACK to compose.');
    expect(e.reason).toBe('kvm: /dev/kvm not found\nnetd: netd socket not found: /run/octolab/microvm-netd.sock');
    expect(e.hint).toContain('kvm: Load KVM: `sudo modprobe kvm_intel`');
    expect(e.hint).toContain('netd: microvm-netd is not running');
    expect(e.hint).toMatch(/There is no fallback to compose/);
    expect(e.message).toContain('NO FALLBACK to compose');
  });

  it('never blocks on warnings', async () => {
    const s = makeWsl(healthyScenario());
    breakers.vsockMissing(s);
    const report = await runStable(s);
    expect(report.warn_count).toBe(2);
    expect(() => assertRuntimeReady(report, 'firecracker')).not.toThrow();
  });

  it('does not block when the runtime is compose, even with fatal checks', async () => {
    expect(() => assertRuntimeReady(undefined as never, 'compose')).not.toThrow();
    const report = await brokenReport();
    expect(() => assertRuntimeReady(report, 'compose')).not.toThrow();
  });

  it('enforceRuntimeGate runs the doctor for firecracker and throws', async () => {
    const s = healthyScenario();
    breakers.kernelUnset(s);
    await expect(enforceRuntimeGate({ ...s, clock: FIXED_CLOCK, gatherFacts: async () => FIXED_FACTS })).rejects.toThrow(/kernel check\(s\) failed/);
  });

  it('enforceRuntimeGate returns the report when ready, ignoring strictness', async () => {
    const s = makeWsl(healthyScenario());
    const report = await enforceRuntimeGate({ ...s, strict: true, clock: FIXED_CLOCK, gatherFacts: async () => FIXED_FACTS });
    expect(report).toMatchObject({ ok: true, strict: false, exit_code: 0 });
  });

  it('enforceRuntimeGate does nothing for compose: no check runs', async () => {
    const s = healthyScenario();
    s.config.runtime = 'compose';
    expect(await enforceRuntimeGate({ ...s })).toBeNull();
    expect(s.host.calls).toEqual([]);
  });
});
