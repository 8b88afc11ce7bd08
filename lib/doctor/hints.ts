/**
 * Remediation texts, one function per finding, each specific to this host: taken from the seed
 * README's troubleshooting and the upstream doctors' hints (octolab-upstream-facts.md §1.3), with
 * the real user, group and paths filled in, and every command written so that it runs as printed
 * here (HintEnvironment: how octolab-verify is reached, sudo or not, systemd or by hand, the KVM
 * module of this CPU). Single-line strings, as upstream's JSON has them. docs/doctor.md explains each.
 */
import { variables } from '../config/variables.ts';
import type { CheckContext } from './check.ts';
import { DEFAULT_HINT_ENVIRONMENT, type HintEnvironment } from './hint-environment.ts';

/** What every hint is specialised on. */
export interface HintContext {
  wsl: boolean;
  /** The WSL distribution to terminate for a new login (WSL_DISTRO_NAME, else a placeholder). */
  distro: string;
  /** The user who will run Firecracker (the invoking user under sudo). */
  user: string;
  /** How commands are run on this host (defaults: `sudo octolab-verify`, no systemd). */
  env?: HintEnvironment;
  /** The netd socket and group when they are not the defaults, so `netd serve` is started with them. */
  netdSocket?: string;
  netdGroup?: string;
}

/** Returns the hint context of a check run. */
export function hintContextOf(ctx: Pick<CheckContext, 'wsl' | 'identity' | 'host' | 'hintEnvironment'> & Partial<Pick<CheckContext, 'config'>>): HintContext {
  return {
    wsl: ctx.wsl.wsl,
    distro: ctx.host.env.WSL_DISTRO_NAME || '<distro>',
    user: ctx.identity.name,
    env: ctx.hintEnvironment,
    netdSocket: ctx.config?.netdSocket,
    netdGroup: ctx.config?.netdGroup,
  };
}

function envOf(h: HintContext): HintEnvironment {
  return h.env ?? DEFAULT_HINT_ENVIRONMENT;
}

/** `sudo ` where root is needed and this is not a root shell; '' in a root shell. */
function su(h: HintContext): string {
  return envOf(h).sudo;
}

/** This tool as root, as it is reached here: `sudo octolab-verify`, or the launcher's path. */
export function cliAsRoot(h: HintContext): string {
  const env = envOf(h);
  return `${env.sudoCli}${env.cli}`;
}

/**
 * The command that installs what the doctor looks for (lib/cli/commands/setup.ts): Firecracker and
 * jailer to /usr/local/bin, the kernel and the hello rootfs to /var/lib/octolab/firecracker, the
 * state dir, the octolab group, octolab-verify on PATH, the netd unit where systemd runs, and the
 * backend/.env.local block. It needs the kernel's checksum (or `skip`), and it writes
 * backend/.env.local under the directory it runs in.
 */
export function setupCommand(h: HintContext): string {
  return `${cliAsRoot(h)} setup --kernel-sha256 <sha256|skip>`;
}

/** The setup command as the hints print it where nothing is known about the host. */
export const SETUP_COMMAND = setupCommand({ wsl: false, distro: '<distro>', user: '<user>' });
const RELEASE = 'https://github.com/firecracker-microvm/firecracker/releases/tag/v1.7.0';

/** `--socket S --group G` for the values that are not netd's defaults. */
function netdArgs(h: HintContext): string {
  const socket = h.netdSocket && h.netdSocket !== variables.netdSocket.default ? ` --socket ${h.netdSocket}` : '';
  const group = h.netdGroup && h.netdGroup !== variables.netdGroup.default ? ` --group ${h.netdGroup}` : '';
  return `${socket}${group}`;
}

/**
 * How to start microvm-netd here: systemctl where systemd runs and the unit is installed; where
 * systemd runs without the unit, setup (which installs it); without systemd (WSL, containers), by hand.
 */
export function netdStartHint(h: HintContext, verb: 'start' | 'restart' = 'start'): string {
  const env = envOf(h);
  if (env.systemd && env.netdUnit) return `${verb} it: \`${su(h)}systemctl ${verb} microvm-netd\``;
  const byHand = `\`${cliAsRoot(h)} netd serve${netdArgs(h)}\` (foreground; keep it running) or, in the background, \`${env.sudoCli}${env.runNetd} --daemon${netdArgs(h)}\``;
  if (env.systemd) return `install and start its systemd unit with setup (\`${setupCommand(h)}\`), or ${verb} it by hand: ${byHand}`;
  return `systemd does not run here, so ${verb} it by hand: ${byHand}`;
}

/** Where netd's log is, for the way it was started. */
function netdLogHint(h: HintContext): string {
  const env = envOf(h);
  if (env.systemd && env.netdUnit) return `\`${su(h)}journalctl -u microvm-netd\``;
  return 'the terminal where `netd serve` runs, or /var/log/octolab/microvm-netd.log when run-netd.sh --daemon started it';
}

/** Returns how to get a new login so that a new group membership counts. */
export function newLoginHint(h: HintContext, group: string): string {
  return h.wsl
    ? `then start a new login: \`wsl --terminate ${h.distro}\` from Windows and reopen the terminal (or \`newgrp ${group}\` in this shell)`
    : `then log out and back in (or \`newgrp ${group}\` in this shell); group membership only counts in a new login`;
}

/** Returns "run `sudo octolab-verify setup …` from the OctoLab repository root": the one way to (re)install, on WSL and elsewhere. */
function runSetup(h: HintContext): string {
  return `run \`${setupCommand(h)}\` from the OctoLab repository root`;
}

/** `sudo modprobe kvm_intel` for this CPU, or both modules when the vendor is unknown. */
function loadKvm(h: HintContext): string {
  const module = envOf(h).kvmModule;
  if (module) return `\`${su(h)}modprobe ${module}\` (this CPU is ${module === 'kvm_intel' ? 'Intel' : 'AMD'})`;
  return `\`${su(h)}modprobe kvm_intel\` (Intel) or \`${su(h)}modprobe kvm_amd\` (AMD)`;
}

/** Every finding's remediation text, by finding; each takes the hint context first where it depends on it. */
export const hints = {
  kvmMissing: (h: HintContext) =>
    h.wsl
      ? 'Nested virtualization is off: add "[wsl2]" and "nestedVirtualization=true" to %USERPROFILE%\\.wslconfig (Windows 11 build 22000+, check with `winver`), run `wsl --shutdown` from Windows, reopen the terminal and check `ls -la /dev/kvm`.'
      : `Load KVM: ${loadKvm(h)} and enable ${envOf(h).kvmModule === 'kvm_amd' ? 'AMD-V' : envOf(h).kvmModule === 'kvm_intel' ? 'VT-x' : 'VT-x/AMD-V'} in the BIOS/UEFI; inside a VM, enable nested virtualization on its hypervisor.`,
  kvmNotCharDevice: (h: HintContext, device: string) =>
    `${device} must be the KVM character device (10:232): remove what is there (\`${su(h)}rm ${device}\`) and ` +
    (h.wsl ? 'restart WSL (`wsl --shutdown` from Windows).' : `reload KVM (\`${su(h)}modprobe -r ${envOf(h).kvmModule ?? 'kvm_intel kvm_amd'}\`, then ${loadKvm(h)}) or reboot.`),
  /** `group` is the device's group when its group bits grant rw, else null (e.g. root:root 0600). */
  kvmNoAccess: (h: HintContext, device: string, group: string | null) => {
    const join = group
      ? `\`${su(h)}usermod -aG ${group} ${h.user}\``
      : `give ${h.user} access: \`${su(h)}setfacl -m u:${h.user}:rw ${device}\` (Firecracker's documented fix; lost at reboot), or persistently a udev rule \`KERNEL=="kvm", GROUP="kvm", MODE="0660"\` plus \`${su(h)}usermod -aG kvm ${h.user}\``;
    return h.wsl
      ? `${join}, then \`wsl --shutdown\` from Windows and reopen the terminal. Dev-only workaround: \`${su(h)}chmod 666 ${device}\` (every WSL restart undoes it).`
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
    `Install Firecracker v${expected}: ${runSetup(h)} (it installs firecracker and jailer to /usr/local/bin), or by hand from ${RELEASE} (firecracker-v${expected}-x86_64.tgz → release-v${expected}-x86_64/firecracker-v${expected}-x86_64 as /usr/local/bin/firecracker); or set OCTOLAB_FIRECRACKER_BIN to its path.`,
  notExecutable: (h: HintContext, file: string) =>
    `Make it executable for ${h.user}: \`${su(h)}chmod 755 ${file}\` (and make sure its directories are searchable).`,
  firecrackerBroken: (h: HintContext, file: string, expected: string) =>
    `Check the binary (\`${file} --version\` should print "Firecracker v${expected}"); reinstall it: ${runSetup(h)}, or by hand from ${RELEASE}.`,
  firecrackerVersion: (h: HintContext, expected: string) =>
    `Install Firecracker v${expected}: ${runSetup(h)} (it installs it to /usr/local/bin and points OCTOLAB_FIRECRACKER_BIN there), or by hand from ${RELEASE}; or change the expectation with OCTOLAB_FIRECRACKER_VERSION (e.g. >=${expected}).`,

  jailerWsl: () => 'Jailer not required in WSL dev environment. Production requires jailer.',
  jailerDevFlag: () => 'Running without jailer is UNSAFE. Only for development.',
  jailerMissing: (h: HintContext, expected: string) =>
    `Install jailer: ${runSetup(h)} (it installs jailer with firecracker to /usr/local/bin), or by hand from the Firecracker release (jailer-v${expected}-x86_64 → /usr/local/bin/jailer), or set OCTOLAB_MICROVM_JAILER_BIN. Required for production; on a dev machine only, OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER=true downgrades this to a warning.`,
  jailerBroken: (h: HintContext, file: string, expected: string) =>
    `Check the binary (\`${file} --version\` should print "Jailer v${expected}"); reinstall it with firecracker: ${runSetup(h)}, or by hand from ${RELEASE}.`,

  imageNotSet: (h: HintContext, variable: string, defaultPath: string) =>
    `Set ${variable} in backend/.env.local, or ${runSetup(h)}: it installs the image and writes ${variable}=${defaultPath} there.`,
  imageMissing: (h: HintContext) =>
    `Kernel/rootfs not found: ${runSetup(h)} (it downloads the kernel to /var/lib/octolab/firecracker/vmlinux and builds the hello rootfs at /var/lib/octolab/firecracker/rootfs.ext4), or fix the path in backend/.env.local.`,
  imageNotFile: (h: HintContext, file: string) => `Point the variable at the image file itself, not at ${file}.`,
  imageUnreadable: (h: HintContext, file: string) => `Make it readable for ${h.user}: \`${su(h)}chmod 644 ${file}\` (and its directories searchable: \`${su(h)}chmod o+x <dir>\`).`,
  imageTruncated: (h: HintContext) => `The file is truncated or corrupted: delete it and ${runSetup(h)}, which downloads the kernel again or rebuilds the hello rootfs.`,
  kernelBzImage: () =>
    'Firecracker needs an uncompressed vmlinux (ELF), not a bzImage: extract it with the kernel tree\'s `scripts/extract-vmlinux bzImage > vmlinux`, or use a Firecracker CI vmlinux (e.g. vmlinux-5.10.217 from the v1.7 CI artefacts).',
  kernelNotElf: () => 'The kernel must be an uncompressed vmlinux (ELF64), not a bzImage or a compressed file; use a Firecracker CI vmlinux or `scripts/extract-vmlinux`.',
  kernel32Bit: () => 'Firecracker boots 64-bit kernels only: use an x86_64 (or aarch64) vmlinux built for Firecracker.',
  rootfsNotExt4: (h: HintContext, found: string) =>
    `The base rootfs must be a raw ext4 image${found ? ` (this is ${found})` : ''}: rebuild it (\`mkfs.ext4 -d <dir> rootfs.ext4 <size>\`), convert it (\`qemu-img convert -O raw\`), or ${runSetup(h)} to build the hello rootfs.`,
  rootfsErrors: (h: HintContext, file: string) => `The filesystem recorded errors: check and repair a copy with \`e2fsck -f ${file}\`, or rebuild the image.`,

  stateDirMissing: (h: HintContext, dir: string) =>
    `Create it (the doctor never does): \`${su(h)}mkdir -p ${dir} && ${su(h)}chown ${h.user} ${dir} && ${su(h)}chmod 700 ${dir}\`, or ${runSetup(h)} (it creates /var/lib/octolab/microvm for the user who ran sudo).`,
  stateDirNotDir: (h: HintContext, dir: string) => `Move the file away (\`${su(h)}mv ${dir} ${dir}.bak\`), then \`${su(h)}mkdir -p ${dir} && ${su(h)}chown ${h.user} ${dir}\`.`,
  stateDirNotWritable: (h: HintContext, dir: string) => `Give it to the runtime user: \`${su(h)}chown ${h.user} ${dir} && ${su(h)}chmod 700 ${dir}\`.`,
  stateDirProbeLeft: (h: HintContext, probe: string) => `Remove the leftover probe file (\`rm ${probe}\`) and run the doctor again.`,
  stateDirWorldWritable: (h: HintContext, dir: string) => `Remove world write access: \`${su(h)}chmod o-w ${dir}\`.`,

  vsockMissing: (h: HintContext) =>
    h.wsl
      ? `Load the module: \`${su(h)}modprobe vhost_vsock\` (the WSL kernel may not ship it; vsock is only needed for the guest agent, not for the hello VM).`
      : `Load the module: \`${su(h)}modprobe vhost_vsock\` (persist with \`echo vhost_vsock | ${su(h)}tee /etc/modules-load.d/vhost_vsock.conf\`).`,

  netdNotRunning: (h: HintContext) => `microvm-netd is not running: ${netdStartHint(h)}.`,
  netdNotSocket: (h: HintContext, file: string) => `Remove the stale file (\`${su(h)}rm ${file}\`) and start microvm-netd again: ${netdStartHint(h)}.`,
  netdPermissions: (h: HintContext, group: string) =>
    `Restart microvm-netd so it recreates the socket: ${netdStartHint(h, 'restart')}. Expected: root:${group} with mode 0660.`,
  /** `staleSession`: the user is in the group database but this login predates it. */
  netdDenied: (h: HintContext, group: string, groupExists: boolean, staleSession: boolean) =>
    staleSession
      ? `${h.user} is already in group ${group} but this login predates it: ${newLoginHint(h, group).replace(/^then /, '')}.`
      : `Join the ${group} group: ${groupExists ? '' : `\`${su(h)}groupadd ${group}\`, restart microvm-netd, `}\`${su(h)}usermod -aG ${group} ${h.user}\`, ${newLoginHint(h, group)}.`,
  netdUnresponsive: (h: HintContext) =>
    `Restart microvm-netd (${netdStartHint(h, 'restart')}) and check its log: ${netdLogHint(h)}.`,
  netdProtocol: () => 'Something other than microvm-netd (api_version 1) answers on the socket: check what owns it and restart microvm-netd.',

  checkCrashed: () => 'The check itself failed unexpectedly: re-run the doctor; if it persists, report it with the details above.',
  checkTimedOut: () => 'The check did not finish: something on the host hangs (a binary, a socket); run the doctor again to see which probe stalls.',
} as const;
