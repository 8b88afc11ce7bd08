import { promises as fs } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_EXIT_CODES } from '../../lib/cli/exit-codes.ts';
import { loadCommandSpecs } from '../../lib/cli/specs.ts';
import { variables } from '../../lib/config/variables.ts';
import { gate } from '../support/require.ts';
import { baseEnv, errorLines, LAUNCHER, runLauncher, STACK_TRACE } from '../unit/cli/run-launcher.ts';

// The boundary property: the real CLI, spawned with random bad arguments, paths and environment
// values, always ends within seconds with a documented exit code, at most one error line (exactly
// one for a usage or configuration error) and never a stack trace. Seeded like every property
// (suites/support/fuzz-seed.ts): a failure prints its seed; OCTOLAB_FUZZ_SEED=N replays it.

const RUNS = 200;
/** Generous for a loaded 2-core runner; a CLI that hangs (a spinning mkdir, a FIFO read) never ends. */
const HANG_MS = 30_000;
/**
 * Under root the CLI runs as nobody: a random value such as --reports=/ or --junit=/etc/passwd is a
 * bad path for a user, but root could really write there. nobody keeps every path outside the temp
 * dir as bad as it is meant to be.
 */
const NOBODY = { uid: 65534, gid: 65534 };
const asRoot = process.geteuid?.() === 0;

let temp: DirectoryResult;
let root: string;
beforeAll(async () => {
  temp = await dir({ unsafeCleanup: true });
  root = temp.path;
  // nobody (see NOBODY) works in here: the reports, state and image paths the runs create.
  if (asRoot) await fs.chmod(root, 0o777);
  await fs.mkdir(path.join(root, 'a-dir'));
  await fs.writeFile(path.join(root, 'a-file'), 'x\n');
  await fs.writeFile(path.join(root, 'bad.env'), 'OCTOLAB_RUNTIME=firecracker\nthis is not\nOCTOLAB_HELLO_MARKER="open\n');
  await fs.writeFile(path.join(root, 'typo.env'), 'OCTOLAB_MICROVM_KERNAL_PATH=/x\nOCTOLAB_MICROVM_VCPU_COUNT=lots\n');
});
afterAll(async () => {
  await temp?.cleanup();
});

/** Values that have broken CLIs before: empty, blanks, signs, exponents, huge, odd paths, control characters. */
const BAD_VALUES = [
  '', ' ', '-', '--', '0', '-1', '1e9', '0x10', 'NaN', 'Infinity', '99999999999', '1.5.5', 'true', 'banana',
  '/', '/proc', '/proc/octolab-verify-nonexistent/x', '/etc/passwd', '/etc/passwd/x', '/dev/null', '/dev/full', '/dev/zero',
  '/nonexistent/x/y', '..', 'a-dir', 'a-file', 'a-file/sub', 'line\nbreak', 'tab\there', '\u00e9\u00e8\u4e2d', 'x'.repeat(5000),
];

const value = fc.oneof(fc.constantFrom(...BAD_VALUES), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }));
const cleanValue = value.map((v) => v.replace(/\0/g, '')); // argv and env cannot carry NUL

/** Each command with base arguments that keep it from changing anything outside the temp dir. */
function baseArgs(command: string): string[] {
  switch (command) {
    case 'verify':
      return ['verify', '--no-suites', '--reports', path.join(root, 'reports')];
    case 'image':
      return ['image', 'build', '--out', path.join(root, 'missing-dir', 'x.ext4')];
    case 'setup':
    case 'rollback':
    case 'cleanup':
      return [command, '--dry-run'];
    case 'netd':
      return ['netd', 'ping', '--socket', path.join(root, 'no.sock'), '--timeout', '2'];
    default:
      return [command];
  }
}

const specs = await loadCommandSpecs();
const COMMANDS = specs.map((s) => s.name);
const OPTION_NAMES = specs.flatMap((s) => s.options.map((o) => o.name));
const VARIABLES = [...Object.values(variables).map((v) => v.name), 'KEEP', 'OCTOLAB_VERIFY_REQUIRE', 'OCTOLAB_ENV_FILE', 'OCTOLAB_SETUP_MIRROR', 'OCTOLAB_SETUP_KERNEL_URL', 'OCTOLAB_SETUP_KERNEL_SHA256', 'OCTOLAB_MICROVM_KERNAL_PATH'];

/** One bad thing done to a command line or its environment. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('unknown-flag' as const), name: fc.stringMatching(/^[a-z][a-z-]{0,15}$/) }),
  fc.record({ kind: fc.constant('bad-value' as const), name: fc.constantFrom(...OPTION_NAMES), value: cleanValue }),
  fc.record({ kind: fc.constant('missing-value' as const), name: fc.constantFrom(...OPTION_NAMES) }),
  fc.record({ kind: fc.constant('positional' as const), value: cleanValue }),
  fc.record({ kind: fc.constant('env' as const), name: fc.constantFrom(...VARIABLES), value: cleanValue }),
  fc.record({ kind: fc.constant('env-file' as const), file: fc.constantFrom('bad.env', 'typo.env', 'a-dir', '/dev/zero', '/nonexistent/.env', '/proc/self/mem') }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function apply(command: string, mutations: Mutation[]): { args: string[]; env: Record<string, string> } {
  const args = baseArgs(command);
  // Nothing real is reachable: no firecracker, no kernel, a socket that does not exist.
  const env: Record<string, string> = baseEnv({ OCTOLAB_FIRECRACKER_BIN: '/nonexistent/firecracker', OCTOLAB_MICROVM_NETD_SOCK: path.join(root, 'no.sock'), OCTOLAB_MICROVM_STATE_DIR: path.join(root, 'state') });
  for (const m of mutations) {
    if (m.kind === 'unknown-flag') args.push(`--x-${m.name}`);
    else if (m.kind === 'bad-value') args.push(`--${m.name}=${m.value}`);
    else if (m.kind === 'missing-value') args.push(`--${m.name}`);
    else if (m.kind === 'positional') args.push(m.value);
    else if (m.kind === 'env') env[m.name] = m.value;
    else env.OCTOLAB_ENV_FILE = m.file;
  }
  // A mutation must not take the run where it changes things: keep the dry runs dry.
  if (['setup', 'rollback', 'cleanup'].includes(command)) args.push('--dry-run');
  return { args, env };
}

/**
 * The error lines of a run. `verify --json` keeps stdout for its JSON and sends the doctor's text
 * and the summary to stderr by design (docs/monitoring.md); once that text is printed, only the
 * CLI's own lines (`octolab-verify …:`, node's `node: …`) are errors there. A usage or
 * configuration error (64, 78) comes before any text, so it is held to the strict count anyway.
 */
function countedErrorLines(args: readonly string[], result: { code: number | null; stderr: string }): string[] {
  const lines = errorLines(result.stderr);
  const textOnStderr = args[0] === 'verify' && args.includes('--json') && result.code !== 64 && result.code !== 78;
  return textOnStderr ? lines.filter((line) => /^octolab-verify\b|^(\S*\/)?node: /.test(line)) : lines;
}

describe('the CLI boundary (property: random bad arguments, paths and environment values)', () => {
  it(
    `answers ${RUNS} random bad invocations with a documented exit code, one error line and no stack trace, within seconds`,
    { timeout: RUNS * HANG_MS },
    async (ctx) => {
      if (asRoot) {
        const usable = await runLauncher(['--version'], { cwd: root, user: NOBODY }).catch((error: unknown) => ({ code: null, stderr: String(error) }));
        gate(ctx, 'users', usable.code === 0 ? null : `as root this test runs the CLI as nobody, who cannot run ${LAUNCHER} (a private checkout, or node where nobody cannot reach it): ${usable.stderr.trim()}`);
      }
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...COMMANDS), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (command, mutations) => {
          const { args, env } = apply(command, mutations);
          const result = await runLauncher(args, { cwd: root, env, timeoutMs: HANG_MS, ...(asRoot ? { user: NOBODY } : {}) });
          const shown = `octolab-verify ${JSON.stringify(args)} with ${JSON.stringify(Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'PATH')))}`;
          expect(result.timedOut, `${shown} did not end within ${HANG_MS} ms`).toBe(false);
          expect(`${result.stdout}\n${result.stderr}`, shown).not.toMatch(STACK_TRACE);
          expect(DOCUMENTED_EXIT_CODES.has(result.code ?? -1), `${shown} exited ${result.code}`).toBe(true);
          const lines = countedErrorLines(args, result);
          if (result.code === 64 || result.code === 78) expect(lines, shown).toHaveLength(1);
          else expect(lines.length, `${shown}: ${result.stderr}`).toBeLessThanOrEqual(1);
        }),
        { numRuns: RUNS },
      );
    },
  );
});
