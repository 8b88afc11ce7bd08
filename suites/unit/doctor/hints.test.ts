import { describe, expect, it } from 'vitest';
import { DEFAULT_HINT_ENVIRONMENT, kvmModuleOf, type HintEnvironment } from '../../../lib/doctor/hint-environment.ts';
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
    ['netdDenied', (h: HintContext) => hints.netdDenied(h, 'octolab', true, false)],
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

  describe('commands that run as printed on this host', () => {
    const on = (env: Partial<HintEnvironment>, extra: Partial<HintContext> = {}): HintContext => ({ ...linux, env: { ...DEFAULT_HINT_ENVIRONMENT, ...env }, ...extra });

    it('starts netd with systemctl where systemd runs and the unit is installed', () => {
      expect(hints.netdNotRunning(on({ systemd: true, netdUnit: true }))).toBe('microvm-netd is not running: start it: `sudo systemctl start microvm-netd`.');
      expect(hints.netdUnresponsive(on({ systemd: true, netdUnit: true }))).toContain('`sudo journalctl -u microvm-netd`');
    });

    it('sends a systemd host without the unit to setup, which installs it, or to netd serve', () => {
      const text = hints.netdNotRunning(on({ systemd: true, netdUnit: false }));
      expect(text).toContain('install and start its systemd unit with setup (`sudo octolab-verify setup --kernel-sha256 <sha256|skip>`)');
      expect(text).toContain('`sudo octolab-verify netd serve`');
      expect(text).not.toContain('systemctl');
    });

    it('says how to start netd by hand where systemd does not run (WSL, containers), with a socket and group that are not the defaults', () => {
      const text = hints.netdNotRunning(on({ systemd: false, cli: '/opt/ov/bin/octolab-verify.cjs', runNetd: '/opt/ov/bin/run-netd.sh' }, { netdSocket: '/run/x/n.sock', netdGroup: 'labs' }));
      expect(text).toBe(
        'microvm-netd is not running: systemd does not run here, so start it by hand: `sudo /opt/ov/bin/octolab-verify.cjs netd serve --socket /run/x/n.sock --group labs` (foreground; keep it running) or, in the background, `sudo /opt/ov/bin/run-netd.sh --daemon --socket /run/x/n.sock --group labs`.',
      );
      expect(hints.netdNotRunning(on({ systemd: false }, { wsl: true }))).toContain('systemd does not run here');
    });

    it('drops sudo in a root shell, and keeps PATH for node under sudo when node is outside sudo\'s path', () => {
      expect(hints.netdNotRunning(on({ sudo: '', sudoCli: '' }))).toContain('`octolab-verify netd serve`');
      expect(hints.stateDirMissing(on({ sudo: '', sudoCli: '' }), '/s')).toContain('`mkdir -p /s && chown alice /s && chmod 700 /s`');
      expect(hints.firecrackerNotFound(on({ sudoCli: 'sudo env "PATH=$PATH" ' }), '1.7.0')).toContain('`sudo env "PATH=$PATH" octolab-verify setup --kernel-sha256 <sha256|skip>`');
    });

    it('names the KVM module of this CPU (from /proc/cpuinfo\'s vendor_id), or both when it is unknown', () => {
      expect(kvmModuleOf('processor\t: 0\nvendor_id\t: GenuineIntel\n')).toBe('kvm_intel');
      expect(kvmModuleOf('vendor_id\t: AuthenticAMD\n')).toBe('kvm_amd');
      expect(kvmModuleOf('')).toBeNull();
      expect(hints.kvmMissing(on({ kvmModule: 'kvm_amd' }))).toBe('Load KVM: `sudo modprobe kvm_amd` (this CPU is AMD) and enable AMD-V in the BIOS/UEFI; inside a VM, enable nested virtualization on its hypervisor.');
      expect(hints.kvmMissing(on({ kvmModule: 'kvm_intel' }))).toContain('`sudo modprobe kvm_intel` (this CPU is Intel) and enable VT-x');
      expect(hints.kvmMissing(on({ kvmModule: null }))).toContain('`sudo modprobe kvm_intel` (Intel) or `sudo modprobe kvm_amd` (AMD)');
    });
  });
});
