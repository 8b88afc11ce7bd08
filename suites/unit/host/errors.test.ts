import { describe, expect, it } from 'vitest';
import { ConfigError, HostError, VerifyError, describeError, renderErrorMessage } from '../../../lib/errors.ts';
import { hostErrorFrom } from '../../../lib/host/host-error.ts';

describe('VerifyError', () => {
  it('renders summary, attempt, reason, output and hint as layered lines', () => {
    const error = new ConfigError({
      code: 'CONFIG_INVALID',
      summary: 'invalid configuration',
      attempted: 'read backend/.env.local',
      reason: 'EACCES',
      output: 'line one\nline two',
      hint: 'fix it',
    });
    expect(error.message).toBe(
      'invalid configuration\n  attempted: read backend/.env.local\n  reason: EACCES\n  output:\n    line one\n    line two\n  hint: fix it',
    );
    expect(error.name).toBe('ConfigError');
    expect(error).toBeInstanceOf(VerifyError);
    expect(describeError(error)).toBe('invalid configuration');
  });

  it('omits the parts that are absent', () => {
    expect(renderErrorMessage({ summary: 'only this' })).toBe('only this');
  });

  it('keeps the errno of the system error a HostError wraps', () => {
    const error = hostErrorFrom(Object.assign(new Error('EACCES: permission denied, open /dev/kvm'), { code: 'EACCES' }), 'open /dev/kvm');
    expect(error).toBeInstanceOf(HostError);
    expect(error.errno).toBe('EACCES');
    expect(error.summary).toBe('open /dev/kvm failed: EACCES');
  });
});
