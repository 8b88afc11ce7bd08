import { afterEach, describe, expect, it } from 'vitest';
import { makeDoctorConfig } from '../../../fixtures/doctor-hosts.ts';
import { kvmCheck } from '../../../lib/doctor/checks/kvm.ts';
import { runDoctor } from '../../../lib/doctor/run-doctor.ts';
import { createRealHost } from '../../../lib/host/real-host.ts';
import { requireRoot, requireTools } from '../../support/require.ts';
import { requireKvm } from '../../support/require-kvm.ts';
import { Throwaway, existsInDatabase, hostAsSudoUser } from './throwaway.ts';

const made = new Throwaway();
afterEach(() => made.cleanup());

const noFacts = async () => ({});

describe('the kvm check on this host', () => {
  it('passes as root: /dev/kvm opens read-write, KVM_GET_API_VERSION is 12, KVM_CREATE_VM works', { tags: ['root', 'kvm'] }, async (ctx) => {
    const kvmDevice = await requireKvm(ctx);
    const report = await runDoctor({ host: createRealHost(), config: makeDoctorConfig({ kvmDevice }), checks: [kvmCheck], gatherFacts: noFacts });
    expect(report.checks[0]).toMatchObject({ name: 'kvm', ok: true, severity: 'info', details: `${kvmDevice} accessible, API version 12, KVM_CREATE_VM ok` });
    expect(report.host).toMatchObject({ kvm_api_version: '12', kvm_create_vm: 'ok', runtime_user: 'root (uid 0)' });
  });

  it('fails for an unprivileged sudo user with the permission hint, although root could open it', { tags: ['root', 'kvm', 'users'] }, async (ctx) => {
    const kvmDevice = await requireKvm(ctx);
    requireTools(ctx, 'users', ['useradd', 'userdel']);
    const user = await made.user('ovdk');
    const host = hostAsSudoUser(user);
    const device = await host.fs.stat(kvmDevice);
    const report = await runDoctor({ host, config: makeDoctorConfig({ kvmDevice }), checks: [kvmCheck], gatherFacts: noFacts });
    const result = report.checks[0]!;
    if ((device.mode & 0o006) === 0o006) {
      // A world-accessible /dev/kvm (0666, as some distributions ship it) is usable by anyone.
      expect(result.ok).toBe(true);
      return;
    }
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    const at = escapeRegExp(kvmDevice);
    expect(result.details).toMatch(new RegExp(`^${at} exists but not writable: ${user.name} \\(uid ${user.uid}\\) cannot read\\+write ${at}: mode 0\\d{3} `));
    expect(result.hint).toMatch(new RegExp(`usermod -aG \\w+ ${user.name}|setfacl -m u:${user.name}:rw ${at}`));
    expect(report.host.runtime_user).toBe(`${user.name} (uid ${user.uid}, via sudo)`);
    expect(report.exit_code).toBe(2);
  });

  it('leaves no throwaway user behind', { tags: ['root', 'users'] }, async (ctx) => {
    requireRoot(ctx);
    requireTools(ctx, 'users', ['useradd', 'userdel']);
    const user = await made.user('ovdx');
    await made.cleanup();
    expect(await existsInDatabase('passwd', user.name)).toBe(false);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
