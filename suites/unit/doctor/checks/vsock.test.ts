import { describe, expect, it } from 'vitest';
import { breakers, checkContext, healthyScenario, makeWsl, type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import { vsockCheck } from '../../../../lib/doctor/checks/vsock.ts';

async function run(s: DoctorScenario) {
  return vsockCheck.run(await checkContext(s));
}

function withoutDevice(): DoctorScenario {
  const s = healthyScenario();
  breakers.vsockMissing(s);
  return s;
}

describe('the vsock check', () => {
  it('passes as info when /dev/vsock exists', async () => {
    expect(await run(healthyScenario())).toMatchObject({ ok: true, severity: 'info', details: 'vsock available: /dev/vsock present' });
  });

  it('passes when vhost_vsock is listed in /proc/modules', async () => {
    const s = withoutDevice();
    s.host.withFile('/proc/modules', { kind: 'file', content: 'vhost_vsock 24576 0 - Live 0x0\nvhost 57344 1 vhost_vsock, Live 0x0\n' });
    expect(await run(s)).toMatchObject({ ok: true, details: 'vsock available: vhost_vsock module loaded' });
  });

  it('does not mistake a module whose name only starts with vhost_vsock', async () => {
    const s = withoutDevice();
    s.host.withFile('/proc/modules', { kind: 'file', content: 'vhost_vsock_extra 1 0 - Live 0x0\n' });
    expect((await run(s)).ok).toBe(false);
  });

  it('passes when vhost_vsock is built into the kernel', async () => {
    const s = withoutDevice();
    s.host.withFile('/sys/module/vhost_vsock', { kind: 'directory' });
    expect((await run(s)).details).toBe('vsock available: vhost_vsock built into the kernel');
  });

  it.each([
    [false, /sudo modprobe vhost_vsock.*modules-load\.d/],
    [true, /sudo modprobe vhost_vsock.*WSL kernel may not ship it/],
  ])('warns when neither is there (WSL %s)', async (wsl, hint) => {
    const s = withoutDevice();
    if (wsl) makeWsl(s);
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'warn', details: 'vsock not available: no /dev/vsock, vhost_vsock not loaded' });
    expect(result.hint).toMatch(hint);
  });

  it('says when /proc/modules cannot be read', async () => {
    const s = withoutDevice();
    s.host.files.delete('/proc/modules');
    expect((await run(s)).details).toBe('vsock not available: no /dev/vsock, vhost_vsock not loaded, /proc/modules unreadable (ENOENT)');
  });
});
