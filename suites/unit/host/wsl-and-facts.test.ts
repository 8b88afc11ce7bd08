import { describe, expect, it } from 'vitest';
import { detectWsl } from '../../../lib/host/wsl.ts';
import { gatherHostFacts } from '../../../lib/host/host-facts.ts';
import { FakeHost } from '../../../fixtures/fake-host.ts';

describe('detectWsl', () => {
  it('says no on a plain Linux host', async () => {
    const host = new FakeHost().withFile('/proc/version', { kind: 'file', content: 'Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org)' });
    expect(await detectWsl(host)).toEqual({ wsl: false, evidence: null });
  });

  it.each([
    ['the WSLInterop binfmt entry', (h: FakeHost) => h.withFile('/proc/sys/fs/binfmt_misc/WSLInterop', { kind: 'file', content: 'enabled' }), /WSLInterop/],
    ['microsoft in /proc/version', (h: FakeHost) => h.withFile('/proc/version', { kind: 'file', content: 'Linux version 5.15.153.1-microsoft-standard-WSL2' }), /Microsoft/],
    ['WSL_INTEROP', (h: FakeHost) => h.withEnv({ WSL_INTEROP: '/run/WSL/1_interop' }), /WSL_INTEROP/],
    ['WSL_DISTRO_NAME', (h: FakeHost) => h.withEnv({ WSL_DISTRO_NAME: 'Ubuntu-24.04' }), /WSL_DISTRO_NAME/],
  ])('recognises WSL from %s', async (_name, arrange, evidence) => {
    const host = arrange(new FakeHost());
    const result = await detectWsl(host);
    expect(result.wsl).toBe(true);
    expect(result.evidence).toMatch(evidence);
  });
});

describe('gatherHostFacts', () => {
  it('reports kernel, CPU vendor, virtualisation flags, nesting, WSL and the firecracker version', async () => {
    const host = new FakeHost()
      .withFile('/proc/sys/kernel/osrelease', { kind: 'file', content: '6.1.0-13-amd64\n' })
      .withFile('/proc/cpuinfo', { kind: 'file', content: 'vendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: fpu svm hypervisor\n' })
      .withFile('/sys/module/kvm_amd/parameters/nested', { kind: 'file', content: '1\n' })
      .withFile('/dev/kvm', { kind: 'char-device' })
      .withExecutable('/usr/local/bin/firecracker')
      .withCommand(['/usr/local/bin/firecracker', '--version'], { stdout: 'Firecracker v1.7.0\n\n2024-01-01T00:00:00 [anonymous-instance:main] Firecracker exiting successfully. exit_code=0\n' });
    expect(await gatherHostFacts(host, { firecrackerBin: 'firecracker' })).toMatchObject({
      kernel_release: '6.1.0-13-amd64',
      cpu_vendor: 'AuthenticAMD',
      cpu_virt_flags: 'svm',
      running_under_hypervisor: 'yes',
      kvm_nested_param: '1',
      kvm_device: 'present',
      wsl: 'no',
      firecracker_version: 'Firecracker v1.7.0',
    });
  });

  it('says why the firecracker version is missing', async () => {
    const facts = await gatherHostFacts(new FakeHost(), { firecrackerBin: 'firecracker' });
    expect(facts.firecracker_version).toBe('absent (firecracker not found)');
    expect(facts.kvm_device).toBe('absent');
    expect(facts.cpu_vendor).toBe('unknown');
  });

  it('records a firecracker that fails --version as unusable with its exit code', async () => {
    const host = new FakeHost()
      .withExecutable('/usr/bin/firecracker')
      .withCommand(['/usr/bin/firecracker', '--version'], { exitCode: 153, stdout: '' });
    expect((await gatherHostFacts(host, { firecrackerBin: 'firecracker' })).firecracker_version).toBe('unusable (/usr/bin/firecracker --version exit 153)');
  });
});
