import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/index.ts';
import { kvmGuestCheck, severityOf } from '../../../lib/doctor/checks/kvm-guest.ts';
import { createRealHost } from '../../../lib/host/index.ts';
import { GUEST_STAGES, SPINNING_PROGRAM } from '../../../lib/host/kvm/guest-code.ts';
import type { GuestProbeResult } from '../../../lib/host/kvm/guest-probe-result.ts';
import { runGuestProbeWith } from '../../../lib/host/kvm/guest-probe.ts';
import { createSignalKick } from '../../../lib/host/kvm/deadline-kick.ts';
import { loadKvmNative } from '../../../lib/host/kvm/kvm-native.ts';
import { KVM_CREATE_VM } from '../../../lib/host/kvm/ioctl-numbers.ts';
import { O_CLOEXEC, O_RDWR } from '../../../lib/host/libc.ts';
import { gate } from '../../support/require.ts';
import { kvmDevice, requireKvm } from '../../support/require-kvm.ts';

const DEVICE = kvmDevice();
const LIMIT_MS = 2000;
const STAGE_IDS = [...GUEST_STAGES.map((s) => s.id), 'halt'];
const VERDICTS = ['pass', 'emulation-failure', 'internal-error', 'entry-failure', 'shutdown', 'unexpected-exit', 'wrong-result', 'time-limit', 'exit-limit', 'run-failed'];

/** This process's open fds and the kvm mappings in its address space. */
function resources() {
  const maps = readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line.includes('kvm'));
  return { fds: readdirSync('/proc/self/fd').length, kvmMappings: maps.length };
}

const realDeps = () => ({ native: loadKvmNative(), kick: createSignalKick(), now: () => performance.now() });

/** A result is well-formed when its fields agree with each other and with its verdict. */
function expectWellFormed(result: GuestProbeResult): void {
  expect(VERDICTS).toContain(result.verdict);
  expect(STAGE_IDS).toContain(result.stage);
  expect(result.ok).toBe(result.verdict === 'pass');
  expect(result.durationMs).toBeGreaterThan(0);
  expect(result.stagesPassed).toEqual(GUEST_STAGES.slice(0, result.stagesPassed.length).map((s) => s.id));
  if (result.ok) {
    expect(result).toMatchObject({ stage: 'halt', exitReason: 5, exitName: 'KVM_EXIT_HLT', suberror: null });
    expect(result.stagesPassed).toHaveLength(GUEST_STAGES.length);
    return;
  }
  expect(result.detail).toMatch(result.stage === 'halt' ? /after the last stage/ : new RegExp(`stage ${result.stage}`));
  if (result.verdict === 'emulation-failure') expect(result).toMatchObject({ exitReason: 17, exitName: 'KVM_EXIT_INTERNAL_ERROR', suberror: 1 });
  if (result.verdict === 'entry-failure') expect(result).toMatchObject({ exitReason: 9, suberror: null });
}

describe('the guest-run KVM probe on this host', () => {
  it('reaches a well-formed verdict: a pass, or a failure that names the stage, exit reason and suberror', { tags: ['root', 'kvm'] }, async (ctx) => {
    await requireKvm(ctx);
    const result = await createRealHost().kvm.runGuestProbe(DEVICE, { timeLimitMs: LIMIT_MS });
    console.log(`guest probe: ${JSON.stringify(result)}`);
    expectWellFormed(result);
    // The probe is deterministic: a second run reaches the same stage with the same exit.
    const again = await createRealHost().kvm.runGuestProbe(DEVICE, { timeLimitMs: LIMIT_MS });
    expect({ verdict: again.verdict, stage: again.stage, exitReason: again.exitReason, suberror: again.suberror }).toEqual({
      verdict: result.verdict,
      stage: result.stage,
      exitReason: result.exitReason,
      suberror: result.suberror,
    });
  });

  it('leaves no fd, kvm mapping or SIGALRM listener behind, and leaves a VM someone else holds alone', { tags: ['root', 'kvm'] }, async (ctx) => {
    await requireKvm(ctx);
    const native = loadKvmNative();
    const otherKvm = native.open(DEVICE, O_RDWR | O_CLOEXEC);
    const otherVm = native.ioctl(otherKvm, KVM_CREATE_VM, 0);
    try {
      expect(otherVm).toBeGreaterThanOrEqual(0);
      const before = resources();
      for (let i = 0; i < 5; i++) expectWellFormed(runGuestProbeWith(realDeps(), DEVICE, { timeLimitMs: LIMIT_MS }));
      expect(resources()).toEqual(before);
      expect(process.listenerCount('SIGALRM')).toBe(0);
      expect(existsSync(`/proc/self/fd/${otherVm}`)).toBe(true);
    } finally {
      native.close(otherVm);
      native.close(otherKvm);
    }
  });

  it('stops a vCPU that never exits at the time limit, with the deadline signal, and cleans up', { tags: ['root', 'kvm'] }, async (ctx) => {
    await requireKvm(ctx);
    const first = runGuestProbeWith(realDeps(), DEVICE, { timeLimitMs: LIMIT_MS });
    // A nested KVM creates VMs but may not run a guest: that is the "boot" capability (a KVM that runs a guest), not "kvm".
    gate(ctx, 'boot', first.stagesPassed.includes('long-mode') ? null : `this KVM cannot even run the first guest instruction (${first.detail})`);
    const before = resources();
    // Without the kick, KVM_RUN would never return and this test would hang until vitest kills it.
    const result = runGuestProbeWith(realDeps(), DEVICE, { timeLimitMs: 150, program: SPINNING_PROGRAM });
    expect(result).toMatchObject({ verdict: 'time-limit', stage: 'moves', stagesPassed: ['long-mode'], exitName: 'KVM_EXIT_INTR' });
    expect(resources()).toEqual(before);
    expect(process.listenerCount('SIGALRM')).toBe(0);
  });

  it('gives the doctor a kvm_guest verdict whose severity and facts match the probe', { tags: ['root', 'kvm'] }, async (ctx) => {
    await requireKvm(ctx);
    const env = { OCTOLAB_KVM_DEVICE: DEVICE };
    const host = createRealHost(env);
    const { config } = await loadConfig({ env, fs: host.fs, cwd: '/nonexistent' });
    const result = await kvmGuestCheck.run({
      host,
      config,
      wsl: { wsl: false, evidence: null },
      identity: await host.users.runtimeIdentity(),
      results: new Map(),
    });
    console.log(`kvm_guest: ${JSON.stringify(result)}`);
    const verdict = result.facts?.kvm_guest_verdict as GuestProbeResult['verdict'];
    expect(VERDICTS).toContain(verdict);
    expect(result.severity).toBe(severityOf(verdict));
    expect(result.ok).toBe(verdict === 'pass');
    expect(STAGE_IDS).toContain(result.facts?.kvm_guest_stage);
    expect(result.facts?.kvm_guest_exit_reason).toMatch(/^(KVM_EXIT_\w+ \(\d+\)|none)$/);
    if (!result.ok) expect(result.details).toContain(`at stage ${result.facts?.kvm_guest_stage}`);
  });
});
