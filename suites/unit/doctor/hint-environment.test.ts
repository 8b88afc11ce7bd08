import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../../fixtures/fake-host.ts';
import { gatherHintEnvironment, quoteIfNeeded } from '../../../lib/doctor/hint-environment.ts';

// How the doctor learns what its hints may print on this host: each answer comes from the host
// (through its interface), so a FakeHost decides it here.

const LAUNCHER = '/srv/checkout/bin/octolab-verify.cjs';
const gather = (host: FakeHost, nodePath = '/usr/bin/node', prefix?: string) => gatherHintEnvironment(host, { nodePath, launcher: LAUNCHER, runNetd: '/srv/checkout/bin/run-netd.sh', prefix });

describe('gatherHintEnvironment', () => {
  it('names octolab-verify when it is on PATH, else this checkout\'s launcher by its path', async () => {
    expect((await gather(new FakeHost())).cli).toBe(LAUNCHER);
    expect((await gather(new FakeHost().withExecutable('/usr/local/bin/octolab-verify'))).cli).toBe('octolab-verify');
  });

  it('drops sudo in a root shell, keeps it under sudo and for other users, and keeps PATH for a node sudo would not find', async () => {
    const root = new FakeHost();
    expect(await gather(root)).toMatchObject({ sudo: '', sudoCli: '' });
    const viaSudo = new FakeHost().withEnv({ SUDO_UID: '1000' });
    expect(await gather(viaSudo)).toMatchObject({ sudo: 'sudo ', sudoCli: 'sudo ' });
    const user = new FakeHost();
    user.euid = 1000;
    expect(await gather(user, '/home/alice/.nvm/versions/node/v20.20.2/bin/node')).toMatchObject({ sudo: 'sudo ', sudoCli: 'sudo env "PATH=$PATH" ' });
  });

  it('sees systemd and the installed netd unit under the prefix', async () => {
    expect(await gather(new FakeHost())).toMatchObject({ systemd: false, netdUnit: false });
    const host = new FakeHost().withFile('/run/systemd/system', { kind: 'directory' });
    expect(await gather(host)).toMatchObject({ systemd: true, netdUnit: false });
    host.withFile('/etc/systemd/system/microvm-netd.service', { kind: 'file' });
    expect(await gather(host)).toMatchObject({ systemd: true, netdUnit: true });
    expect(await gather(host, '/usr/bin/node', '/mnt/image')).toMatchObject({ systemd: false, netdUnit: false });
  });

  it('reads the KVM module from /proc/cpuinfo', async () => {
    const host = new FakeHost().withFile('/proc/cpuinfo', { kind: 'file', content: 'processor\t: 0\nvendor_id\t: GenuineIntel\n' });
    expect((await gather(host)).kvmModule).toBe('kvm_intel');
    expect((await gather(new FakeHost())).kvmModule).toBeNull();
  });

  it('quotes a launcher path a shell would split', () => {
    expect(quoteIfNeeded('/home/a b/bin/octolab-verify.cjs')).toBe("'/home/a b/bin/octolab-verify.cjs'");
    expect(quoteIfNeeded('/srv/x/bin/octolab-verify.cjs')).toBe('/srv/x/bin/octolab-verify.cjs');
  });
});
