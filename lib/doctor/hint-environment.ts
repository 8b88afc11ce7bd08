/**
 * What a hint needs to know about this host so that the commands it prints run as printed: how
 * octolab-verify is reached here, whether sudo is needed, whether systemd runs (and has the netd
 * unit), and which KVM module the CPU takes.
 */
import path from 'node:path';
import type { Host } from '../host/types.ts';
import { LAUNCHER_PATH, RUN_NETD_PATH } from '../package-paths.ts';

/** The host facts hints are written for. */
export interface HintEnvironment {
  /** How to run this tool here: `octolab-verify` when it is on PATH, else the launcher's absolute path. */
  cli: string;
  /** The prefix for a root-only command: '' when already root (not via sudo), else `sudo `. */
  sudo: '' | 'sudo ';
  /** The prefix for running this tool as root: as `sudo`, plus `env "PATH=$PATH"` when node is outside sudo's secure_path. */
  sudoCli: string;
  /** systemd is the init system (/run/systemd/system exists): netd is managed with systemctl. */
  systemd: boolean;
  /** The microvm-netd unit is installed in /etc/systemd/system (setup installs it where systemd runs). */
  netdUnit: boolean;
  /** The KVM module this CPU takes, from /proc/cpuinfo's vendor_id; null when unknown. */
  kvmModule: 'kvm_intel' | 'kvm_amd' | null;
  /** This checkout's bin/run-netd.sh, which starts netd in the background without systemd. */
  runNetd: string;
}

/** What library callers get when they do not gather the environment (and what golden tests pin). */
export const DEFAULT_HINT_ENVIRONMENT: HintEnvironment = {
  cli: 'octolab-verify',
  sudo: 'sudo ',
  sudoCli: 'sudo ',
  systemd: false,
  netdUnit: false,
  kvmModule: null,
  runNetd: 'bin/run-netd.sh',
};

/** The systemd unit setup installs, relative to the root prefix. */
export const NETD_UNIT_PATH = 'etc/systemd/system/microvm-netd.service';

/** Directories sudo's secure_path usually holds: a node elsewhere needs `sudo env "PATH=$PATH"`. */
const SECURE_PATH = new Set(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']);

/** Options of gatherHintEnvironment. */
export interface GatherHintOptions {
  /** The root prefix setup installed under ('/' by default): systemd and the unit are looked for there. */
  prefix?: string;
  /** The node running this process (process.execPath). */
  nodePath: string;
  launcher?: string;
  runNetd?: string;
}

/** Looks at the host (through its interface) for what hints need. */
export async function gatherHintEnvironment(host: Host, options: GatherHintOptions): Promise<HintEnvironment> {
  const prefix = options.prefix ?? '/';
  const exists = (p: string) => host.fs.exists(path.join(prefix, p)).catch(() => false);
  const [onPath, systemd, netdUnit, cpuinfo] = await Promise.all([
    host.proc.which('octolab-verify').catch(() => null),
    exists('run/systemd/system'),
    exists(NETD_UNIT_PATH),
    host.fs.readText('/proc/cpuinfo').catch(() => ''),
  ]);
  const root = host.users.effectiveUid() === 0 && !host.env.SUDO_UID;
  return {
    cli: onPath ? 'octolab-verify' : quoteIfNeeded(options.launcher ?? LAUNCHER_PATH),
    sudo: root ? '' : 'sudo ',
    sudoCli: root ? '' : SECURE_PATH.has(path.dirname(options.nodePath)) ? 'sudo ' : 'sudo env "PATH=$PATH" ',
    systemd,
    netdUnit,
    kvmModule: kvmModuleOf(cpuinfo),
    runNetd: quoteIfNeeded(options.runNetd ?? RUN_NETD_PATH),
  };
}

/** Returns kvm_intel or kvm_amd from /proc/cpuinfo's vendor_id, or null. */
export function kvmModuleOf(cpuinfo: string): HintEnvironment['kvmModule'] {
  const vendor = /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo)?.[1];
  if (vendor === 'GenuineIntel') return 'kvm_intel';
  if (vendor === 'AuthenticAMD' || vendor === 'HygonGenuine') return 'kvm_amd';
  return null;
}

/** Single-quotes a path for a shell when it holds anything but safe characters. */
export function quoteIfNeeded(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
