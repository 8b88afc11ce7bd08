import { describe, expect, it } from 'vitest';
import { ALICE, GIDS, PATHS, ROOT, breakers, checkContext, healthyScenario, makeWsl, type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import { kvmCheck } from '../../../../lib/doctor/checks/kvm.ts';

async function run(s: DoctorScenario) {
  return kvmCheck.run(await checkContext(s));
}

describe('the kvm check', () => {
  it('passes for the sudo user in the kvm group when both ioctls succeed', async () => {
    const s = healthyScenario();
    const result = await run(s);
    expect(result).toMatchObject({ ok: true, severity: 'info', details: '/dev/kvm accessible, API version 12, KVM_CREATE_VM ok', hint: '' });
    expect(result.facts).toEqual({ kvm_api_version: '12', kvm_create_vm: 'ok' });
    expect(s.host.calls).toContain('kvm probe /dev/kvm');
  });

  it('passes for root running the doctor directly', async () => {
    const s = healthyScenario({ identity: ROOT });
    breakers.kvmNoAccess(s);
    expect(await run(s)).toMatchObject({ ok: true });
  });

  it('probes the device named by config.kvmDevice', async () => {
    const s = healthyScenario();
    s.host.withFile('/dev/kvm-test', { kind: 'char-device', mode: 0o666 });
    s.config.kvmDevice = '/dev/kvm-test';
    expect((await run(s)).details).toMatch(/^\/dev\/kvm-test accessible/);
    expect(s.host.calls).toContain('kvm probe /dev/kvm-test');
  });

  it.each([
    [false, /sudo modprobe kvm_intel.*kvm_amd.*BIOS/],
    [true, /nestedVirtualization=true.*\.wslconfig.*wsl --shutdown/],
  ])('fails fatally when the device is missing (WSL %s) with the matching hint', async (wsl, hint) => {
    const s = healthyScenario();
    if (wsl) makeWsl(s);
    breakers.kvmMissing(s);
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: '/dev/kvm not found' });
    expect(result.hint).toMatch(hint);
    expect(s.host.calls).not.toContain('kvm probe /dev/kvm');
  });

  it('fails fatally when stat itself fails, naming the errno', async () => {
    const s = healthyScenario();
    s.host.withFile(PATHS.kvm, { kind: 'char-device', statErrno: 'EACCES' });
    expect(await run(s)).toMatchObject({ ok: false, severity: 'fatal', details: '/dev/kvm error: cannot stat (EACCES)' });
  });

  it('fails fatally when the path is not a character device', async () => {
    const s = healthyScenario();
    s.host.withFile(PATHS.kvm, { kind: 'file', mode: 0o666 });
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: '/dev/kvm is not a character device (found a regular file)' });
    expect(result.hint).toContain('sudo rm /dev/kvm');
  });

  it('computes access for the sudo user: outside the kvm group it fails with the usermod and new-login hint', async () => {
    const s = healthyScenario({ identity: { ...ALICE, groups: [1000, GIDS.octolab] } });
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toBe('/dev/kvm exists but not writable: alice (uid 1000) cannot read+write /dev/kvm: mode 0660 root:kvm');
    expect(result.hint).toContain('`sudo usermod -aG kvm alice`');
    expect(result.hint).toMatch(/log out and back in.*newgrp kvm/);
    // Root would pass the real open: the verdict must not come from it.
    expect(s.host.calls).not.toContain('kvm probe /dev/kvm');
  });

  it('on WSL gives the usermod + wsl --shutdown hint and names chmod 666 as a dev workaround that restarts undo', async () => {
    const s = makeWsl(healthyScenario({ identity: { ...ALICE, groups: [1000] } }));
    const result = await run(s);
    expect(result.hint).toMatch(/sudo usermod -aG kvm alice.*wsl --shutdown/);
    expect(result.hint).toMatch(/Dev-only workaround: `sudo chmod 666 \/dev\/kvm` \(every WSL restart undoes it\)/);
  });

  it('suggests setfacl or a udev rule when no group grants access (root:root 0600)', async () => {
    const s = healthyScenario();
    breakers.kvmNoAccess(s);
    const result = await run(s);
    expect(result.details).toContain('mode 0600 root:root');
    expect(result.hint).toContain('sudo setfacl -m u:alice:rw /dev/kvm');
    expect(result.hint).toContain('KERNEL=="kvm", GROUP="kvm", MODE="0660"');
  });

  it('trusts the real open for a non-sudo user (ACLs count): a 0600 device that opens passes', async () => {
    const alice = { ...ALICE, viaSudo: false, groups: [1000] };
    const s = healthyScenario({ identity: alice });
    s.host.euid = 1000;
    breakers.kvmNoAccess(s);
    expect(await run(s)).toMatchObject({ ok: true });
  });

  it('reports EACCES from the real open of a non-sudo user as not writable', async () => {
    const s = healthyScenario({ identity: { ...ALICE, viaSudo: false } });
    s.host.euid = 1000;
    s.host.withKvm({ openErrno: 'EACCES' });
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toBe('/dev/kvm exists but not writable: open read-write failed with EACCES for alice');
    expect(result.hint).toContain('usermod -aG kvm alice');
  });

  it('reports any other open failure with its errno', async () => {
    const s = healthyScenario();
    s.host.withKvm({ openErrno: 'ENXIO' });
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: '/dev/kvm error: open read-write failed (ENXIO)' });
    expect(result.hint).toContain('ENXIO');
  });

  it('fails when KVM_GET_API_VERSION fails, and does not report a KVM_CREATE_VM result', async () => {
    const s = healthyScenario();
    s.host.withKvm({ apiVersion: { ok: false, errno: 'ENOTTY' }, createVm: { ok: false, errno: null, skipped: 'KVM_GET_API_VERSION failed' } });
    expect(await run(s)).toMatchObject({ ok: false, severity: 'fatal', details: '/dev/kvm open but ioctl failed: KVM_GET_API_VERSION ENOTTY' });
  });

  it.each([
    [11, 'KVM API version too old: /dev/kvm answers 11, expected 12'],
    [13, 'KVM API version unexpected: /dev/kvm answers 13, expected 12'],
  ])('fails when the API version is %i', async (version, details) => {
    const s = healthyScenario();
    s.host.withKvm({ apiVersion: { ok: true, version }, createVm: { ok: true } });
    expect(await run(s)).toMatchObject({ ok: false, severity: 'fatal', details, facts: { kvm_api_version: String(version) } });
  });

  it('says another hypervisor holds KVM when KVM_CREATE_VM fails with EBUSY', async () => {
    const s = healthyScenario();
    s.host.withKvm({ apiVersion: { ok: true, version: 12 }, createVm: { ok: false, errno: 'EBUSY' } });
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: '/dev/kvm open but KVM_CREATE_VM failed: EBUSY (another hypervisor holds KVM)' });
    expect(result.hint).toMatch(/VirtualBox, VMware/);
  });

  it.each([
    [false, /dmesg/],
    [true, /nestedVirtualization=true/],
  ])('reports another KVM_CREATE_VM errno with its own hint (WSL %s)', async (wsl, hint) => {
    const s = healthyScenario();
    if (wsl) makeWsl(s);
    s.host.withKvm({ apiVersion: { ok: true, version: 12 }, createVm: { ok: false, errno: 'ENOMEM' } });
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: '/dev/kvm open but KVM_CREATE_VM failed: ENOMEM' });
    expect(result.hint).toMatch(hint);
  });
});
