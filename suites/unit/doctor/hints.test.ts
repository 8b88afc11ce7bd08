import { describe, expect, it } from 'vitest';
import { hints, newLoginHint, SETUP_COMMAND, type HintContext } from '../../../lib/doctor/hints.ts';

const linux: HintContext = { wsl: false, distro: '<distro>', user: 'alice' };
const wsl: HintContext = { wsl: true, distro: 'Ubuntu-24.04', user: 'alice' };

describe('hints', () => {
  it.each([
    ['kvmMissing', (h: HintContext) => hints.kvmMissing(h)],
    ['kvmNoAccess', (h: HintContext) => hints.kvmNoAccess(h, '/dev/kvm', 'kvm')],
    ['kvmApi', (h: HintContext) => hints.kvmApi(h)],
    ['kvmCreateVm', (h: HintContext) => hints.kvmCreateVm(h, 'ENOMEM')],
    ['vsockMissing', (h: HintContext) => hints.vsockMissing(h)],
    ['netdNotRunning', (h: HintContext) => hints.netdNotRunning(h)],
    ['netdDenied', (h: HintContext) => hints.netdDenied(h, 'octolab', true, false)],
    ['netdUnresponsive', (h: HintContext) => hints.netdUnresponsive(h)],
  ])('%s differs between WSL and plain Linux', (_name, render) => {
    expect(render(wsl)).not.toBe(render(linux));
    expect(render(wsl).length).toBeGreaterThan(20);
  });

  // Regression: these hints sent users to upstream's `bash infra/microvm/wsl_setup_ubuntu24.sh` or
  // `sudo octolabctl install`, which this project does not ship; its own installer is `octolab-verify setup`.
  const reinstall: Array<[string, (h: HintContext) => string]> = [
    ['firecrackerNotFound', (h) => hints.firecrackerNotFound(h, '1.7.0')],
    ['firecrackerBroken', (h) => hints.firecrackerBroken(h, '/usr/local/bin/firecracker', '1.7.0')],
    ['firecrackerVersion', (h) => hints.firecrackerVersion(h, '1.7.0')],
    ['jailerMissing', (h) => hints.jailerMissing(h, '1.7.0')],
    ['jailerBroken', (h) => hints.jailerBroken(h, '/usr/local/bin/jailer', '1.7.0')],
    ['imageNotSet', (h) => hints.imageNotSet(h, 'OCTOLAB_MICROVM_KERNEL_PATH', '/var/lib/octolab/firecracker/vmlinux')],
    ['imageMissing', (h) => hints.imageMissing(h)],
    ['imageTruncated', (h) => hints.imageTruncated(h)],
    ['rootfsNotExt4', (h) => hints.rootfsNotExt4(h, 'a qcow2 disk image')],
    ['stateDirMissing', (h) => hints.stateDirMissing(h, '/var/lib/octolab/microvm')],
  ];

  it.each(reinstall.flatMap(([name, render]) => [[name, 'WSL', render(wsl)], [name, 'plain Linux', render(linux)]] as const))(
    '%s on %s tells to run this project\'s setup from the OctoLab repository root, on one line',
    (_name, _where, text) => {
      expect(text).toContain(`\`${SETUP_COMMAND}\` from the OctoLab repository root`);
      expect(text).not.toMatch(/wsl_setup_ubuntu24|octolabctl|\n/);
    },
  );

  it('names setup with the checksum flag it refuses to run without', () => {
    expect(SETUP_COMMAND).toBe('sudo octolab-verify setup --kernel-sha256 <sha256|skip>');
  });

  it('says which files setup puts where for a missing image or an unset variable', () => {
    expect(hints.imageMissing(linux)).toContain('downloads the kernel to /var/lib/octolab/firecracker/vmlinux and builds the hello rootfs at /var/lib/octolab/firecracker/rootfs.ext4');
    expect(hints.imageNotSet(linux, 'OCTOLAB_MICROVM_ROOTFS_BASE_PATH', '/var/lib/octolab/firecracker/rootfs.ext4')).toContain(
      'writes OCTOLAB_MICROVM_ROOTFS_BASE_PATH=/var/lib/octolab/firecracker/rootfs.ext4 there',
    );
  });

  it('says a new login is needed for a group to count: newgrp, or wsl --terminate <distro> on WSL', () => {
    expect(newLoginHint(linux, 'octolab')).toMatch(/log out and back in \(or `newgrp octolab` in this shell\)/);
    expect(newLoginHint(wsl, 'octolab')).toMatch(/`wsl --terminate Ubuntu-24\.04`/);
  });

  it('keeps upstream\'s exact jailer texts', () => {
    expect(hints.jailerWsl()).toBe('Jailer not required in WSL dev environment. Production requires jailer.');
    expect(hints.jailerDevFlag()).toBe('Running without jailer is UNSAFE. Only for development.');
  });

  it('names chmod 666 on WSL only as a workaround that restarts undo', () => {
    expect(hints.kvmNoAccess(wsl, '/dev/kvm', 'kvm')).toMatch(/`sudo usermod -aG kvm alice`, then `wsl --shutdown`.*Dev-only workaround: `sudo chmod 666 \/dev\/kvm` \(every WSL restart undoes it\)/);
    expect(hints.kvmNoAccess(linux, '/dev/kvm', 'kvm')).not.toContain('chmod 666');
  });

  it('tells a user missing a group that does not exist to create it first', () => {
    expect(hints.netdDenied(linux, 'octolab', false, false)).toContain('`sudo groupadd octolab`');
  });
});
