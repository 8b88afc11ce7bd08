/**
 * The configuration table: every setting the tool reads from the environment or the env file
 * (backend/.env.local), with the seed's names and defaults, the legacy names upstream scripts also
 * write (read only when the main name is absent), how a value is parsed, what is allowed and which
 * commands read it. docs/configuration.md documents it; lib/config/tool-variables.ts lists the
 * variables read from the environment only.
 */

import { DEFAULT_DNS, DEFAULT_LAB_PREFIX_LEN, DEFAULT_POOL, MAX_LAB_PREFIX_LEN, MIN_PREFIX_LEN, parseCidr, parseIpv4 } from '../netd/address-pool.ts';

/** A parse failure: what is allowed, for the error message. */
export class ValueRejected extends Error {}

/** One row of the table. */
export interface VariableSpec<T> {
  name: string;
  legacy?: readonly string[];
  default: T;
  allowed: string;
  description: string;
  /** The commands (and other readers) that use the value. */
  readBy: readonly string[];
  parse(raw: string): T;
}

function variable<T>(spec: VariableSpec<T>): VariableSpec<T> {
  return spec;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off', '']);

function parseBool(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new ValueRejected('true, 1 or yes (or false, 0, no)');
}

function intBetween(min: number, max: number) {
  return (raw: string): number => {
    const value = raw.trim();
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new ValueRejected(`a whole number from ${min} to ${max}`);
    }
    return Number(value);
  };
}

function nonEmptyPath(raw: string): string {
  const value = raw.trim();
  if (value === '') throw new ValueRejected('a non-empty path');
  if (value.includes('\0')) throw new ValueRejected('a path without NUL bytes');
  return value;
}

function absolutePath(raw: string): string {
  const value = nonEmptyPath(raw);
  if (!value.startsWith('/')) throw new ValueRejected('an absolute path (starting with /)');
  return value;
}

/** The one rule for a number of seconds: digits with an optional fraction (no sign, hex or exponent), from 1 ms to `max`. */
export function parseSecondsText(raw: string, max: number): number {
  const seconds = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds * 1000 >= 1) || seconds > max) throw new ValueRejected(`a number of seconds from 0.001 to ${max} (digits, optionally with a fraction, e.g. 90 or 2.5)`);
  return seconds;
}

/** The longest boot budget: an hour (--timeout and OCTOLAB_BOOT_TIMEOUT_SECS share this rule). */
export const MAX_BOOT_SECONDS = 3600;

/** Parses a boot budget in seconds, from the command line or the environment alike. */
export function parseBootSeconds(raw: string): number {
  return parseSecondsText(raw.trim(), MAX_BOOT_SECONDS);
}

function optionalPath(raw: string): string | null {
  return raw.trim() === '' ? null : nonEmptyPath(raw);
}

/** The runtimes the backend accepts here (upstream's `microvm` is an alias of firecracker). */
export type Runtime = 'compose' | 'firecracker';

/** A version constraint for firecracker: `1.7.0` exactly, `1.7` any patch, or `>=1.7.0`. */
export interface VersionConstraint {
  text: string;
  op: 'exact' | 'minor' | 'at-least';
  version: [number, number, number];
}

/** Parses a firecracker version constraint. */
export function parseVersionConstraint(raw: string): VersionConstraint {
  const text = raw.trim().replace(/^v/, '');
  const atLeast = /^>=\s*v?(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (atLeast) return { text, op: 'at-least', version: [Number(atLeast[1]), Number(atLeast[2]), Number(atLeast[3])] };
  const exact = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (exact) return { text, op: 'exact', version: [Number(exact[1]), Number(exact[2]), Number(exact[3])] };
  const minor = /^(\d+)\.(\d+)(?:\.x)?$/.exec(text);
  if (minor) return { text, op: 'minor', version: [Number(minor[1]), Number(minor[2]), 0] };
  throw new ValueRejected('a version such as 1.7.0 (exact), 1.7 (any patch) or >=1.7.0');
}

export const variables = {
  runtime: variable<Runtime>({
    name: 'OCTOLAB_RUNTIME',
    default: 'compose',
    allowed: 'compose or firecracker',
    description: 'Runtime selection; firecracker turns on the fail-hard gate.',
    readBy: ['doctor', 'verify', 'setup (writes it)', 'rollback (writes compose)', 'the backend'],
    parse(raw) {
      const value = raw.trim().toLowerCase();
      if (value === 'compose' || value === 'firecracker') return value;
      if (value === 'microvm') return 'firecracker';
      throw new ValueRejected('compose or firecracker');
    },
  }),
  firecrackerBin: variable({
    name: 'OCTOLAB_FIRECRACKER_BIN',
    legacy: ['FIRECRACKER_BIN'],
    default: 'firecracker',
    allowed: 'a path, or a name looked up on PATH',
    description: 'The firecracker binary.',
    readBy: ['doctor', 'verify', 'boot', 'setup (writes it)'],
    parse: nonEmptyPath,
  }),
  firecrackerVersion: variable<VersionConstraint>({
    name: 'OCTOLAB_FIRECRACKER_VERSION',
    default: parseVersionConstraint('1.7.0'),
    allowed: 'a version such as 1.7.0 (exact), 1.7 (any patch) or >=1.7.0',
    description: 'The firecracker version the doctor expects.',
    readBy: ['doctor', 'verify'],
    parse(raw) {
      return parseVersionConstraint(raw);
    },
  }),
  jailerBin: variable({
    name: 'OCTOLAB_MICROVM_JAILER_BIN',
    legacy: ['JAILER_BIN'],
    default: 'jailer',
    allowed: 'a path, or a name looked up on PATH',
    description: 'The jailer binary.',
    readBy: ['doctor', 'verify', 'setup (writes it)'],
    parse: nonEmptyPath,
  }),
  kernelPath: variable<string | null>({
    name: 'OCTOLAB_MICROVM_KERNEL_PATH',
    legacy: ['MICROVM_KERNEL_PATH'],
    default: null,
    allowed: 'a path to an uncompressed vmlinux',
    description: 'Guest kernel (setup writes /var/lib/octolab/firecracker/vmlinux).',
    readBy: ['doctor', 'verify', 'boot', 'setup (writes it)'],
    parse: optionalPath,
  }),
  rootfsPath: variable<string | null>({
    name: 'OCTOLAB_MICROVM_ROOTFS_BASE_PATH',
    legacy: ['MICROVM_ROOTFS_BASE_PATH'],
    default: null,
    allowed: 'a path to an ext4 image',
    description: 'Base rootfs image, copied per lab (setup writes /var/lib/octolab/firecracker/rootfs.ext4).',
    readBy: ['doctor', 'verify', 'boot', 'image build', 'setup (writes it)'],
    parse: optionalPath,
  }),
  stateDir: variable({
    name: 'OCTOLAB_MICROVM_STATE_DIR',
    legacy: ['MICROVM_STATE_DIR'],
    default: '/var/lib/octolab/microvm',
    allowed: 'a directory path',
    description: 'Per-lab VM state (lab_<uuid>/ directories).',
    readBy: ['doctor', 'verify', 'boot', 'cleanup', 'setup (writes it)'],
    parse: nonEmptyPath,
  }),
  vcpuCount: variable({
    name: 'OCTOLAB_MICROVM_VCPU_COUNT',
    default: 1,
    allowed: 'a whole number from 1 to 32',
    description: 'vCPUs per VM.',
    readBy: ['boot'],
    parse: intBetween(1, 32),
  }),
  memSizeMib: variable({
    name: 'OCTOLAB_MICROVM_MEM_SIZE_MIB',
    default: 512,
    allowed: 'a whole number of MiB from 1 to 1048576',
    description: 'Memory per VM (MiB).',
    readBy: ['boot'],
    parse: intBetween(1, 1048576),
  }),
  allowNoJailer: variable({
    name: 'OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER',
    legacy: ['DEV_UNSAFE_ALLOW_NO_JAILER'],
    default: false,
    allowed: 'true, 1 or yes (or false, 0, no)',
    description: 'Dev only: a missing jailer is a warning instead of fatal.',
    readBy: ['doctor', 'verify', 'setup (writes it)'],
    parse: parseBool,
  }),
  netdSocket: variable({
    name: 'OCTOLAB_MICROVM_NETD_SOCK',
    legacy: ['MICROVM_NETD_SOCK'],
    default: '/run/octolab/microvm-netd.sock',
    allowed: 'a unix socket path',
    description: 'The microvm-netd socket.',
    readBy: ['doctor', 'verify', 'boot --net', 'netd', 'cleanup', 'setup (writes it)'],
    parse: nonEmptyPath,
  }),
  netdGroup: variable({
    name: 'OCTOLAB_NETD_GROUP',
    default: 'octolab',
    allowed: 'a group name',
    description: 'The group that may use the netd socket (socket root:<group> 0660).',
    readBy: ['doctor', 'verify', 'netd serve', 'setup'],
    parse(raw) {
      const value = raw.trim();
      if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(value)) throw new ValueRejected('a group name');
      return value;
    },
  }),
  netdPool: variable({
    name: 'OCTOLAB_NETD_POOL',
    default: DEFAULT_POOL,
    allowed: 'an IPv4 network a.b.c.d/len',
    description: 'The address pool microvm-netd cuts each lab\'s subnet from (`netd serve --pool`).',
    readBy: ['netd serve'],
    parse(raw) {
      const value = raw.trim();
      if (!parseCidr(value)) throw new ValueRejected(`an IPv4 network such as ${DEFAULT_POOL}`);
      return value;
    },
  }),
  netdPrefixLen: variable({
    name: 'OCTOLAB_NETD_PREFIX_LEN',
    default: DEFAULT_LAB_PREFIX_LEN,
    allowed: `a whole number from ${MIN_PREFIX_LEN} to ${MAX_LAB_PREFIX_LEN}`,
    description: 'The prefix length of each lab\'s subnet (`netd serve --prefix-len`); upstream\'s client maps only /8, /16, /24 and /32 correctly.',
    readBy: ['netd serve'],
    parse: intBetween(MIN_PREFIX_LEN, MAX_LAB_PREFIX_LEN),
  }),
  netdDns: variable({
    name: 'OCTOLAB_NETD_DNS',
    default: DEFAULT_DNS,
    allowed: 'an IPv4 address',
    description: 'The DNS server microvm-netd hands to guests (`netd serve --dns`).',
    readBy: ['netd serve'],
    parse(raw) {
      const value = raw.trim();
      if (parseIpv4(value) === null) throw new ValueRejected(`an IPv4 address such as ${DEFAULT_DNS}`);
      return value;
    },
  }),
  kvmDevice: variable({
    name: 'OCTOLAB_KVM_DEVICE',
    default: '/dev/kvm',
    allowed: 'an absolute device path',
    description: 'The KVM device the doctor probes.',
    readBy: ['doctor', 'verify'],
    parse: absolutePath,
  }),
  helloMarker: variable({
    name: 'OCTOLAB_HELLO_MARKER',
    default: 'Hello, World!',
    allowed: 'one line of printable text',
    description: 'The serial line a boot waits for (the upstream Alpine hello image prints `login:`).',
    readBy: ['boot', 'image build', 'setup'],
    parse(raw) {
      if (raw === '' || /[\x00-\x1f\x7f]/.test(raw)) throw new ValueRejected('one line of printable text');
      return raw;
    },
  }),
  bootTimeoutSecs: variable({
    name: 'OCTOLAB_BOOT_TIMEOUT_SECS',
    default: 60,
    allowed: 'a number of seconds from 0.001 to 3600 (digits, optionally with a fraction, e.g. 90 or 2.5)',
    description: 'Total time budget of `octolab-verify boot` (all stages; teardown not counted); `boot --timeout` overrides it, by the same rule.',
    readBy: ['boot'],
    parse: parseBootSeconds,
  }),
  bootArgs: variable({
    name: 'OCTOLAB_BOOT_ARGS',
    default: 'console=ttyS0 reboot=k panic=1 pci=off',
    allowed: 'a kernel command line (at most 2048 bytes)',
    description: 'Kernel boot args for `octolab-verify boot`; console=ttyS0 is needed to see the marker.',
    readBy: ['boot'],
    parse(raw) {
      const value = raw.trim();
      if (value === '' || Buffer.byteLength(value) > 2048 || /[\x00-\x1f]/.test(value)) throw new ValueRejected('a kernel command line (at most 2048 bytes)');
      return value;
    },
  }),
} as const;

/** The typed configuration: one field per row of the table. */
export type Config = { -readonly [K in keyof typeof variables]: (typeof variables)[K]['default'] };
