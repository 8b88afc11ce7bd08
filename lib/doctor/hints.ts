/**
 * Remediation texts, one function per finding, each specific to WSL or not. Taken from the seed
 * README's troubleshooting and the upstream doctors' hints (octolab-upstream-facts.md §1.3),
 * with the real user, group and paths filled in. Single-line strings, as upstream's JSON has them.
 * Every "install it again" hint names this project's setup (SETUP_COMMAND), on WSL and elsewhere.
 */
import type { CheckContext } from './check.ts';

/** What every hint is specialised on. */
export interface HintContext {
  wsl: boolean;
  /** The WSL distribution to terminate for a new login (WSL_DISTRO_NAME, else a placeholder). */
  distro: string;
  /** The user who will run Firecracker (the invoking user under sudo). */
  user: string;
}

/** Returns the hint context of a check run. */
export function hintContextOf(ctx: Pick<CheckContext, 'wsl' | 'identity' | 'host'>): HintContext {
  return { wsl: ctx.wsl.wsl, distro: ctx.host.env.WSL_DISTRO_NAME || '<distro>', user: ctx.identity.name };
}

/**
 * The command that installs what the doctor looks for (lib/cli/commands/setup.ts): Firecracker and
 * jailer to /usr/local/bin, the kernel and the hello rootfs to /var/lib/octolab/firecracker, the
 * state dir, the octolab group and the backend/.env.local block. It needs the kernel's checksum
 * (or `skip`), and it writes backend/.env.local under the directory it runs in.
 */
export const SETUP_COMMAND = 'sudo octolab-verify setup --kernel-sha256 <sha256|skip>';
const RELEASE = 'https://github.com/firecracker-microvm/firecracker/releases/tag/v1.7.0';
const NETD_START_WSL = 'start netd and keep it running: `sudo octolab-verify netd serve` (or in the background, from the octolab-microvm-verify checkout: `sudo bin/run-netd.sh --daemon`)';
const NETD_START = 'start netd: `sudo systemctl start microvm-netd` (unit: lib/netd/deploy/microvm-netd.service), or run `sudo octolab-verify netd serve`';

/** Returns how to get a new login so that a new group membership counts. */
export function newLoginHint(h: HintContext, group: string): string {
  return h.wsl
    ? `then start a new login: \`wsl --terminate ${h.distro}\` from Windows and reopen the terminal (or \`newgrp ${group}\` in this shell)`
    : `then log out and back in (or \`newgrp ${group}\` in this shell); group membership only counts in a new login`;
}

/** Returns "run `sudo octolab-verify setup …` from the OctoLab repository root": the one way to (re)install, on WSL and elsewhere. */
function runSetup(): string {
  return `run \`${SETUP_COMMAND}\` from the OctoLab repository root`;
}

/** Every finding's remediation text, by finding; each takes the hint context first where it depends on it. */
export const hints = {
  kvmMissing: (h: HintContext) =>
    h.wsl
      ? 'Nested virtualization is off: add "[wsl2]" and "nestedVirtualization=true" to %USERPROFILE%\\.wslconfig (Windows 11 build 22000+, check with `winver`), run `wsl --shutdown` from Windows, reopen the terminal and check `ls -la /dev/kvm`.'
      : 'Load KVM: `sudo modprobe kvm_intel` (Intel) or `sudo modprobe kvm_amd` (AMD) and enable VT-x/AMD-V in the BIOS/UEFI; inside a VM, enable nested virtualization on its hypervisor.',
  kvmNotCharDevice: (h: HintContext, device: string) =>
    `${device} must be the KVM character device (10:232): remove what is there (\`sudo rm ${device}\`) and ` +
    (h.wsl ? 'restart WSL (`wsl --shutdown` from Windows).' : 'reload KVM (`sudo modprobe -r kvm_intel kvm_amd; sudo modprobe kvm_intel` or kvm_amd) or reboot.'),
  /** `group` is the device's group when its group bits grant rw, else null (e.g. root:root 0600). */
  kvmNoAccess: (h: HintContext, device: string, group: string | null) => {
    const join = group
      ? `\`sudo usermod -aG ${group} ${h.user}\``
      : `give ${h.user} access: \`sudo setfacl -m u:${h.user}:rw ${device}\` (Firecracker's documented fix; lost at reboot), or persistently a udev rule \`KERNEL=="kvm", GROUP="kvm", MODE="0660"\` plus \`sudo usermod -aG kvm ${h.user}\``;
    return h.wsl
      ? `${join}, then \`wsl --shutdown\` from Windows and reopen the terminal. Dev-only workaround: \`sudo chmod 666 ${device}\` (every WSL restart undoes it).`
      : `${join}, ${newLoginHint(h, group ?? 'kvm')}.`;
  },
  kvmOpenFailed: (h: HintContext, device: string, errno: string) =>
    `open(${device}) failed with ${errno}: ` +
    (h.wsl ? 'nested virtualization may be half-enabled; run `wsl --shutdown` from Windows and retry.' : 'check `dmesg | grep -i kvm` for why the module refused, and reload it.'),
  kvmApi: (h: HintContext) =>
    h.wsl
      ? 'The KVM in this WSL kernel is unusable: update WSL (`wsl --update` from Windows), then `wsl --shutdown`.'
      : 'The host KVM is unusable (Firecracker needs KVM API 12): check `dmesg | grep -i kvm` and run a current distribution kernel.',
  kvmBusy: (h: HintContext) =>
    'Another hypervisor holds the CPU\'s virtualization (VirtualBox, VMware, another KVM user): stop it and retry' +
    (h.wsl ? '; on Windows also check that no other VM platform conflicts with WSL2.' : '.'),
  kvmCreateVm: (h: HintContext, errno: string) =>
    `KVM_CREATE_VM failed with ${errno}: ` +
    (h.wsl ? 'nested virtualization is not working; check %USERPROFILE%\\.wslconfig has nestedVirtualization=true and run `wsl --shutdown`.' : 'check `dmesg | grep -i kvm`; on a VM, nested virtualization may be off.'),

  firecrackerNotFound: (h: HintContext, expected: string) =>
    `Install Firecracker v${expected}: ${runSetup()} (it installs firecracker and jailer to /usr/local/bin), or by hand from ${RELEASE} (firecracker-v${expected}-x86_64.tgz → release-v${expected}-x86_64/firecracker-v${expected}-x86_64 as /usr/local/bin/firecracker); or set OCTOLAB_FIRECRACKER_BIN to its path.`,
  notExecutable: (h: HintContext, file: string) =>
    `Make it executable for ${h.user}: \`sudo chmod 755 ${file}\` (and make sure its directories are searchable).`,
  firecrackerBroken: (h: HintContext, file: string, expected: string) =>
    `Check the binary (\`${file} --version\` should print "Firecracker v${expected}"); reinstall it: ${runSetup()}, or by hand from ${RELEASE}.`,
  firecrackerVersion: (h: HintContext, expected: string) =>
    `Install Firecracker v${expected}: ${runSetup()} (it installs it to /usr/local/bin and points OCTOLAB_FIRECRACKER_BIN there), or by hand from ${RELEASE}; or change the expectation with OCTOLAB_FIRECRACKER_VERSION (e.g. >=${expected}).`,

  jailerWsl: () => 'Jailer not required in WSL dev environment. Production requires jailer.',
  jailerDevFlag: () => 'Running without jailer is UNSAFE. Only for development.',
  jailerMissing: (_h: HintContext, expected: string) =>
    `Install jailer: ${runSetup()} (it installs jailer with firecracker to /usr/local/bin), or by hand from the Firecracker release (jailer-v${expected}-x86_64 → /usr/local/bin/jailer), or set OCTOLAB_MICROVM_JAILER_BIN. Required for production; on a dev machine only, OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER=true downgrades this to a warning.`,
  jailerBroken: (_h: HintContext, file: string, expected: string) =>
    `Check the binary (\`${file} --version\` should print "Jailer v${expected}"); reinstall it with firecracker: ${runSetup()}, or by hand from ${RELEASE}.`,

  imageNotSet: (_h: HintContext, variable: string, defaultPath: string) =>
    `Set ${variable} in backend/.env.local, or ${runSetup()}: it installs the image and writes ${variable}=${defaultPath} there.`,
  imageMissing: (_h: HintContext) =>
    `Kernel/rootfs not found: ${runSetup()} (it downloads the kernel to /var/lib/octolab/firecracker/vmlinux and builds the hello rootfs at /var/lib/octolab/firecracker/rootfs.ext4), or fix the path in backend/.env.local.`,
  imageNotFile: (_h: HintContext, file: string) => `Point the variable at the image file itself, not at ${file}.`,
  imageUnreadable: (h: HintContext, file: string) => `Make it readable for ${h.user}: \`sudo chmod 644 ${file}\` (and its directories searchable: \`sudo chmod o+x <dir>\`).`,
  imageTruncated: (_h: HintContext) => `The file is truncated or corrupted: delete it and ${runSetup()}, which downloads the kernel again or rebuilds the hello rootfs.`,
  kernelBzImage: () =>
    'Firecracker needs an uncompressed vmlinux (ELF), not a bzImage: extract it with the kernel tree\'s `scripts/extract-vmlinux bzImage > vmlinux`, or use a Firecracker CI vmlinux (e.g. vmlinux-5.10.217 from the v1.7 CI artefacts).',
  kernelNotElf: () => 'The kernel must be an uncompressed vmlinux (ELF64), not a bzImage or a compressed file; use a Firecracker CI vmlinux or `scripts/extract-vmlinux`.',
  kernel32Bit: () => 'Firecracker boots 64-bit kernels only: use an x86_64 (or aarch64) vmlinux built for Firecracker.',
  rootfsNotExt4: (_h: HintContext, found: string) =>
    `The base rootfs must be a raw ext4 image${found ? ` (this is ${found})` : ''}: rebuild it (\`mkfs.ext4 -d <dir> rootfs.ext4 <size>\`), convert it (\`qemu-img convert -O raw\`), or ${runSetup()} to build the hello rootfs.`,
  rootfsErrors: (_h: HintContext, file: string) => `The filesystem recorded errors: check and repair a copy with \`e2fsck -f ${file}\`, or rebuild the image.`,

  stateDirMissing: (h: HintContext, dir: string) =>
    `Create it (the doctor never does): \`sudo mkdir -p ${dir} && sudo chown ${h.user} ${dir} && sudo chmod 700 ${dir}\`, or ${runSetup()} (it creates /var/lib/octolab/microvm for the user who ran sudo).`,
  stateDirNotDir: (h: HintContext, dir: string) => `Move the file away (\`sudo mv ${dir} ${dir}.bak\`), then \`sudo mkdir -p ${dir} && sudo chown ${h.user} ${dir}\`.`,
  stateDirNotWritable: (h: HintContext, dir: string) => `Give it to the runtime user: \`sudo chown ${h.user} ${dir} && sudo chmod 700 ${dir}\`.`,
  stateDirProbeLeft: (_h: HintContext, probe: string) => `Remove the leftover probe file (\`rm ${probe}\`) and run the doctor again.`,
  stateDirWorldWritable: (_h: HintContext, dir: string) => `Remove world write access: \`sudo chmod o-w ${dir}\`.`,

  vsockMissing: (h: HintContext) =>
    h.wsl
      ? 'Load the module: `sudo modprobe vhost_vsock` (the WSL kernel may not ship it; vsock is only needed for the guest agent, not for the hello VM).'
      : 'Load the module: `sudo modprobe vhost_vsock` (persist with `echo vhost_vsock | sudo tee /etc/modules-load.d/vhost_vsock.conf`).',

  netdNotRunning: (h: HintContext) => `microvm-netd is not running: ${h.wsl ? NETD_START_WSL : NETD_START}.`,
  netdNotSocket: (h: HintContext, file: string) => `Remove the stale file (\`sudo rm ${file}\`) and restart microvm-netd: ${h.wsl ? NETD_START_WSL : NETD_START}.`,
  netdPermissions: (h: HintContext, group: string) =>
    `Restart microvm-netd so it recreates the socket (${h.wsl ? '`sudo octolab-verify netd serve`' : '`sudo systemctl restart microvm-netd`'}). Expected: root:${group} with mode 0660.`,
  /** `staleSession`: the user is in the group database but this login predates it. */
  netdDenied: (h: HintContext, group: string, groupExists: boolean, staleSession: boolean) =>
    staleSession
      ? `${h.user} is already in group ${group} but this login predates it: ${newLoginHint(h, group).replace(/^then /, '')}.`
      : `Join the ${group} group: ${groupExists ? '' : `\`sudo groupadd ${group}\`, restart microvm-netd, `}\`sudo usermod -aG ${group} ${h.user}\`, ${newLoginHint(h, group)}.`,
  netdUnresponsive: (h: HintContext) =>
    `Restart microvm-netd and check its log: ${h.wsl ? 'the terminal where `sudo octolab-verify netd serve` runs' : '`journalctl -u microvm-netd`'}.`,
  netdProtocol: () => 'Something other than microvm-netd (api_version 1) answers on the socket: check what owns it and restart microvm-netd.',

  checkCrashed: () => 'The check itself failed unexpectedly: re-run the doctor; if it persists, report it with the details above.',
  checkTimedOut: () => 'The check did not finish: something on the host hangs (a binary, a socket); run the doctor again to see which probe stalls.',
} as const;
