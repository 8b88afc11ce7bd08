/**
 * The variables read from the environment only (never from the env file): where the env file is,
 * per-run switches, setup's download sources, output and test controls. Together with the
 * settings table (variables.ts) this is every variable the project reads; docs/configuration.md
 * documents both, and a unit test keeps the two in step.
 */
import { ConfigError } from '../errors.ts';
import { ValueRejected } from './variables.ts';

/** One variable read from the environment. */
export interface ToolVariable {
  name: string;
  /** The default, as text ("unset" when there is none). */
  default: string;
  allowed: string;
  description: string;
  readBy: readonly string[];
  /** Validates a set value (throws ValueRejected); absent for free text. */
  parse?: (raw: string) => unknown;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** Reads an on/off switch: 1/true/yes/on or 0/false/no/off (or empty); anything else is refused. */
export function parseSwitch(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new ValueRejected('1, true, yes or on (or 0, false, no, off, empty)');
}

/** Every variable the tool reads from the environment besides the settings table. */
export const toolVariables = [
  {
    name: 'OCTOLAB_ENV_FILE',
    default: 'backend/.env.local (under the working directory)',
    allowed: 'a path (relative to the working directory)',
    description: 'The env file settings are read from, and the file setup writes its block into; --dotenv PATH overrides it.',
    readBy: ['doctor', 'verify', 'boot', 'netd', 'cleanup', 'image build', 'setup', 'rollback'],
  },
  {
    name: 'KEEP',
    default: '0',
    allowed: '1, true, yes or on (or 0, false, no, off, empty)',
    description: 'Keep the VM and its lab directory after the marker is seen (as `boot --keep`); the seed\'s `KEEP=1 ./verify_firecracker.sh`.',
    readBy: ['boot'],
    parse: parseSwitch,
  },
  {
    name: 'OCTOLAB_VERIFY_REQUIRE',
    default: 'unset (every missing capability is a skip with its reason)',
    allowed: '`all`, or a comma list of root, kvm, net, users, firecracker, boot, image, systemd, promtool, browser',
    description: 'Capabilities this runner is meant to have: a host test that finds one missing fails instead of skipping.',
    readBy: ['verify', 'pnpm test:host'],
  },
  {
    name: 'OCTOLAB_VERIFY_DEBUG',
    default: '0',
    allowed: '1, true, yes or on (or 0, false, no, off, empty)',
    description: 'Print the stack trace after an error\'s one line (for bug reports).',
    readBy: ['every command', 'bin/octolab-verify.cjs'],
    parse: parseSwitch,
  },
  {
    name: 'OCTOLAB_SETUP_MIRROR',
    default: 'unset (the release URLs)',
    allowed: 'a directory, or an http(s) base URL',
    description: 'Where setup fetches the artifacts from (same file names as the release URLs); --mirror overrides it.',
    readBy: ['setup'],
  },
  {
    name: 'OCTOLAB_SETUP_KERNEL_URL',
    default: 'the Firecracker CI kernel vmlinux-5.10.209 URL',
    allowed: 'an http(s) URL',
    description: 'The guest kernel setup downloads; --kernel-url overrides it.',
    readBy: ['setup'],
  },
  {
    name: 'OCTOLAB_SETUP_KERNEL_SHA256',
    default: 'unset (setup then needs --kernel-sha256)',
    allowed: '64 hex digits, or `skip`',
    description: 'The kernel\'s sha256 for setup; --kernel-sha256 overrides it.',
    readBy: ['setup'],
  },
  {
    name: 'OCTOLAB_REPORTS_DIR',
    default: 'reports/ in this checkout',
    allowed: 'a directory path',
    description: 'Where the host suites\' JUnit reporter writes junit-host.xml; verify sets it to its --reports directory.',
    readBy: ['the host suites (suites/support/junit-reporter.ts)'],
  },
  {
    name: 'OCTOLAB_FUZZ_SEED',
    default: 'unset (a fresh seed each run)',
    allowed: 'an integer',
    description: 'Replays the fuzz and property tests\' inputs (the seed a failing property printed).',
    readBy: ['the test suites (suites/support/fuzz-seed.ts)'],
  },
  {
    name: 'OCTOLAB_SOAK_ROUNDS',
    default: '100',
    allowed: 'a whole number of rounds, at least 1',
    description: 'How many rounds the boot chaos soak test runs (with OCTOLAB_FUZZ_SEED, replays a failing round quickly).',
    readBy: ['pnpm test:soak (suites/soak/boot-chaos.test.ts)'],
  },
  {
    name: 'NO_COLOR',
    default: 'unset',
    allowed: 'any non-empty value',
    description: 'No colour in text output, even on a terminal (TERM=dumb does the same).',
    readBy: ['doctor', 'verify'],
  },
  {
    name: 'COLUMNS',
    default: 'the terminal width, else 100',
    allowed: 'a whole number from 40 to 1000 (other values are ignored)',
    description: 'The width the doctor wraps its fixes to when the output is not a terminal.',
    readBy: ['doctor', 'verify'],
  },
  {
    name: 'SUDO_UID',
    default: 'set by sudo',
    allowed: 'a uid (with SUDO_GID, SUDO_USER)',
    description: 'Under sudo: the user whose access the doctor judges, who gets the state dir and the report files.',
    readBy: ['doctor', 'verify', 'setup'],
  },
  {
    name: 'WSL_DISTRO_NAME',
    default: 'set by WSL',
    allowed: 'a distribution name (with WSL_INTEROP)',
    description: 'WSL detection, and the distribution named in the "start a new login" hint.',
    readBy: ['doctor', 'verify', 'setup'],
  },
] as const satisfies readonly ToolVariable[];

/**
 * Names other OctoLab tools read (the CI job definitions, upstream's backend and scripts): not read
 * here, but known, so that they never draw a "did you mean" warning.
 */
export const KNOWN_ELSEWHERE = [
  'OCTOLAB_RUN_SETUP',
  'OCTOLAB_KERNEL_SHA256',
  'OCTOLAB_ASSET_MIRROR',
  'OCTOLAB_RUNNER_TAG',
  'OCTOLAB_RUNNER_LABELS',
  'OCTOLAB_MICROVM_FIRECRACKER_BIN',
  'OCTOLAB_MICROVM_USE_JAILER',
  'OCTOLAB_MICROVM_VSOCK_PORT',
  'OCTOLAB_KERNEL_URL',
  'OCTOLAB_ROOTFS_URL',
  // The CI definitions' own (ci/github, ci/gitlab): which runners run the job, which runs the fleet report.
  'OCTOLAB_RUNNER_MATRIX',
  'OCTOLAB_HOST_TAG',
  'OCTOLAB_REPORT_TAG',
] as const;

type ToolVariableName = (typeof toolVariables)[number]['name'];

/** Reads an on/off tool variable (KEEP, OCTOLAB_VERIFY_DEBUG): a value it cannot read is a ConfigError naming it. */
export function readSwitch(env: Readonly<Record<string, string | undefined>>, name: ToolVariableName): boolean {
  const spec = toolVariables.find((v) => v.name === name)!;
  const raw = env[name];
  if (raw === undefined) return false;
  try {
    return parseSwitch(raw);
  } catch {
    throw new ConfigError({
      code: 'CONFIG_INVALID',
      summary: `invalid configuration: ${name}=${JSON.stringify(raw)} (from the environment): allowed is ${spec.allowed}`,
      hint: `Set ${name}=1 or ${name}=0, or unset it.`,
    });
  }
}
