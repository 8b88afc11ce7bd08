import { describe, expect, it } from 'vitest';
import { toolVariables } from '../../../lib/config/tool-variables.ts';
import { CAPABILITIES, REQUIRE_VARIABLE, decideGate, parseRequired } from '../../support/capabilities.ts';
import { hostGateMessage } from '../../support/host-gate.mjs';

describe('OCTOLAB_VERIFY_REQUIRE', () => {
  it('is empty by default, so a missing capability skips with its reason', () => {
    expect(decideGate('kvm', '/dev/kvm absent', parseRequired(undefined))).toEqual({
      action: 'skip',
      reason: 'needs a usable /dev/kvm (KVM_GET_API_VERSION 12, KVM_CREATE_VM): /dev/kvm absent',
    });
  });

  it('turns the skip of a listed capability into a failure that says why', () => {
    const gate = decideGate('boot', 'firecracker not found', parseRequired('boot, net'));
    expect(gate.action).toBe('fail');
    expect(gate.action === 'fail' && gate.reason).toMatch(/firecracker not found.*required by OCTOLAB_VERIFY_REQUIRE/);
  });

  it('"all" requires every capability', () => {
    expect(parseRequired('all').size).toBeGreaterThanOrEqual(6);
    expect(decideGate('users', 'no useradd', parseRequired('all')).action).toBe('fail');
  });

  it('runs the test when nothing is missing, required or not', () => {
    expect(decideGate('net', null, parseRequired('all'))).toEqual({ action: 'run' });
  });

  it('rejects an unknown capability name instead of silently ignoring it', () => {
    expect(() => parseRequired('boot,kvmm')).toThrow(/unknown capabilities: kvmm.*Use "all" or a comma list of: root, kvm/);
    // Names of Object.prototype members are unknown too, not inherited matches.
    expect(() => parseRequired('constructor,tostring')).toThrow(/unknown capabilities: constructor, tostring/);
  });
});

describe('OCTOLAB_VERIFY_REQUIRE in the variable table (docs/configuration.md)', () => {
  it('lists every capability, in the order the suites define them', () => {
    const row = toolVariables.find((v) => v.name === REQUIRE_VARIABLE)!;
    expect(row.allowed).toBe(`\`all\`, or a comma list of ${Object.keys(CAPABILITIES).join(', ')}`);
  });
});

describe('the host gate', () => {
  it('refuses a non-root user and says how to run the host suites', () => {
    const message = hostGateMessage(1000);
    expect(message).toContain('sudo pnpm test:host');
    expect(message).toContain('sudo env "PATH=$PATH" pnpm test:host');
    expect(message).toContain('uid 1000');
  });

  it('lets root through', () => {
    expect(hostGateMessage(0)).toBeNull();
  });
});
