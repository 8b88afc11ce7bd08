import { closeSync, openSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOL_VERSION } from '../../../lib/version.ts';
import { baseEnv, errorLines, runLauncher, STACK_TRACE, type LauncherRun } from './run-launcher.ts';

// The CLI's boundary, tried as a user would: the real launcher in its own process, with bad
// arguments, paths and environment values. Every case ends with one line naming the problem and
// the fix, a documented exit code, and never a stack trace.

let temp: DirectoryResult;
let cwd: string;
beforeAll(async () => {
  temp = await dir({ unsafeCleanup: true });
  cwd = temp.path;
  await fs.mkdir(path.join(cwd, 'existing-dir'));
  await fs.writeFile(path.join(cwd, 'a-file'), 'x\n');
  await fs.writeFile(path.join(cwd, 'good.env'), 'OCTOLAB_RUNTIME=compose\n');
});
afterAll(async () => {
  await temp?.cleanup();
});

const run = (args: string[], env: Record<string, string> = {}, extra: { viaNode?: boolean; stdout?: number } = {}) => runLauncher(args, { cwd, env: baseEnv(env), ...extra });

/** One error line, naming what the test expects, and nothing that looks like a stack. */
function expectOneLine(result: LauncherRun, code: number, message: RegExp): void {
  expect(result.timedOut).toBe(false);
  expect(`${result.stdout}${result.stderr}`).not.toMatch(STACK_TRACE);
  expect(errorLines(result.stderr)).toHaveLength(1);
  expect(errorLines(result.stderr)[0]).toMatch(message);
  expect(result.code).toBe(code);
}

describe.concurrent('the launcher and --env-file on Node 20', { timeout: 60_000 }, () => {
  it('regression: `doctor --env-file /nonexistent/env` is answered by octolab-verify (exit 64, one line), not by node (exit 9)', async () => {
    const result = await run(['doctor', '--env-file', '/nonexistent/env']);
    expectOneLine(result, 64, /^octolab-verify doctor: cannot read the env file \/nonexistent\/env given with --dotenv: ENOENT \(no such file or directory\); /);
  });

  it('takes --dotenv PATH, the new name, and its value is read', async () => {
    const result = await run(['doctor', '--json', '--dotenv', 'good.env']);
    expect(result.code).not.toBe(78);
    expect(JSON.parse(result.stdout).config_sources.OCTOLAB_RUNTIME).toBe(`${path.join(cwd, 'good.env')}:1 (OCTOLAB_RUNTIME)`);
  });

  it('lets setup --dry-run name an env file that does not exist yet with --env-file (node would have swallowed it)', async () => {
    const result = await run(['setup', '--dry-run', '--prefix', 'p', '--kernel-sha256', 'skip', '--env-file', path.join(cwd, 'new.env')]);
    expect(result.stderr).not.toMatch(/^(\S*\/)?node: /m);
    expect(result.stdout).toContain(`write the OCTOLAB MICROVM block into ${path.join(cwd, 'new.env')}`);
    expect(result.code).toBe(0);
  });

  it('shows why the launcher runs node with `--`: `node bin/octolab-verify.cjs … --env-file /missing` dies in node itself (exit 9)', async () => {
    const result = await run(['doctor', '--env-file', '/nonexistent/env'], {}, { viaNode: true });
    expect(result.code).toBe(9);
    expect(result.stderr).toMatch(/^(\S*\/)?node: \/nonexistent\/env: not found/);
  });
});

describe.concurrent('bad paths end in one line, before any work, with exit 64', { timeout: 60_000 }, () => {
  it.each<[string, string[], RegExp]>([
    ['--junit naming a directory (was EISDIR on rename, a stack trace)', ['doctor', '--junit', '/tmp'], /^octolab-verify doctor: --junit \/tmp: \/tmp is a directory: name a file inside it, e\.g\. \/tmp\/junit-doctor\.xml; see `octolab-verify doctor --help`$/],
    ['--junit empty', ['doctor', '--junit', ''], /^octolab-verify doctor: --junit needs a file path, got an empty string; see/],
    ['--reports naming a file (was EEXIST from mkdir)', ['verify', '--no-suites', '--reports', '/etc/passwd'], /^octolab-verify verify: --reports \/etc\/passwd: \/etc\/passwd is a file, not a directory; see/],
    ['--reports under /proc (was a recursive mkdir spinning forever)', ['verify', '--no-suites', '--reports', '/proc/octolab-verify-test'], /^octolab-verify verify: --reports \/proc\/octolab-verify-test: cannot create \/proc\/octolab-verify-test: ENOENT/],
    ['image build --out naming a directory, even with --force', ['image', 'build', '--out', 'existing-dir', '--force'], /^octolab-verify image: --out .*existing-dir is a directory: name the image file, e\.g\. .*existing-dir\/hello-rootfs\.ext4 \(--force never replaces a directory\); see/],
    ['cleanup --state-dir that does not exist (was "nothing left behind", exit 0)', ['cleanup', '--state-dir', '/nonexistent'], /^octolab-verify cleanup: --state-dir \/nonexistent does not exist, so there is nothing to clean there/],
    ['--dotenv naming a directory', ['doctor', '--dotenv', 'existing-dir'], /^octolab-verify doctor: cannot read the env file .*existing-dir given with --dotenv: it is a directory, not a file; /],
  ])('%s', async (_label, args, message) => {
    const result = await run(args);
    expectOneLine(result, 64, message);
    expect(result.stdout).toBe('');
  });
});

describe.concurrent('wrong values are said, not swallowed', { timeout: 60_000 }, () => {
  it.each<[string, string[], Record<string, string>, number, RegExp]>([
    ['KEEP=banana', ['boot'], { KEEP: 'banana' }, 78, /^octolab-verify boot: invalid configuration: KEEP="banana" \(from the environment\): allowed is 1, true, yes or on/],
    ['OCTOLAB_VERIFY_REQUIRE=everything', ['verify', '--no-suites', '--reports', 'r'], { OCTOLAB_VERIFY_REQUIRE: 'everything' }, 78, /^octolab-verify verify: invalid configuration: OCTOLAB_VERIFY_REQUIRE names unknown capabilities: everything\./],
    ['a relative OCTOLAB_KVM_DEVICE', ['doctor'], { OCTOLAB_KVM_DEVICE: 'dev/kvm' }, 78, /OCTOLAB_KVM_DEVICE="dev\/kvm" \(from the environment\): allowed is an absolute path/],
    ['boot --timeout 99999 (refused by the rule OCTOLAB_BOOT_TIMEOUT_SECS follows)', ['boot', '--timeout', '99999'], {}, 64, /--timeout must be a number of seconds from 0\.001 to 3600 .*got "99999"/],
    ['OCTOLAB_BOOT_TIMEOUT_SECS=99999', ['boot'], { OCTOLAB_BOOT_TIMEOUT_SECS: '99999' }, 78, /OCTOLAB_BOOT_TIMEOUT_SECS="99999" .*allowed is a number of seconds from 0\.001 to 3600/],
    ['an unknown option', ['doctor', '--jsno'], {}, 64, /^octolab-verify doctor: unknown option --jsno; see `octolab-verify doctor --help`$/],
    ['an unknown command', ['doctr'], {}, 64, /^octolab-verify: unknown command "doctr"; see `octolab-verify --help` for the commands$/],
  ])('%s', async (_label, args, env, code, message) => {
    expectOneLine(await run(args, env), code, message);
  });

  it('accepts OCTOLAB_BOOT_TIMEOUT_SECS=1.5 as boot --timeout 1.5 is accepted: the boot goes on (and fails later, at prepare)', async () => {
    for (const result of await Promise.all([run(['boot'], { OCTOLAB_BOOT_TIMEOUT_SECS: '1.5' }), run(['boot', '--timeout', '1.5'])])) {
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('octolab-verify boot: FAILED at stage "prepare"\n');
    }
  });

  it('regression: one malformed .env.local line is a warning naming file:line; the doctor still diagnoses (not exit 78)', async () => {
    const envFile = path.join(cwd, 'mixed.env');
    await fs.writeFile(envFile, 'OCTOLAB_RUNTIME=firecracker\nnot an assignment\nOCTOLAB_MICROVM_KERNAL_PATH=/x\n');
    const result = await run(['doctor', '--json', '--dotenv', envFile]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`octolab-verify doctor: warning: ${envFile}:2: expected KEY=VALUE, got "not an assignment" (line ignored; the rest of the file was read)`);
    expect(result.stderr).toContain(`octolab-verify doctor: warning: OCTOLAB_MICROVM_KERNAL_PATH at ${envFile}:3 is not a variable octolab-verify reads: did you mean OCTOLAB_MICROVM_KERNEL_PATH?`);
    expect(JSON.parse(result.stdout)).toMatchObject({ runtime: 'firecracker', config_sources: { OCTOLAB_RUNTIME: `${envFile}:1 (OCTOLAB_RUNTIME)` } });
  });

  it('netd reads the env file the same way: a malformed line is a warning, and its socket setting still counts', async () => {
    const envFile = path.join(cwd, 'netd.env');
    const socket = path.join(cwd, 'no-netd.sock');
    await fs.writeFile(envFile, `not an assignment\nOCTOLAB_MICROVM_NETD_SOCK=${socket}\n`);
    const result = await run(['netd', 'ping', '--timeout', '2'], { OCTOLAB_ENV_FILE: envFile });
    expect(result.stderr).toContain(`octolab-verify netd: warning: ${envFile}:1: expected KEY=VALUE, got "not an assignment" (line ignored; the rest of the file was read)`);
    expectOneLine(result, 1, new RegExp(`^octolab-verify netd: .*${socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});

describe.concurrent('output that cannot be written', { timeout: 60_000 }, () => {
  it('regression: `doctor > /dev/full` ends in one line (was an unhandled error event), exit 1', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const result = await run(['doctor', '--help'], {}, { stdout: full });
      expectOneLine(result, 1, /^octolab-verify: cannot write to standard output: ENOSPC \(no space left on device\); /);
    } finally {
      closeSync(full);
    }
  });

  it('keeps the exit code when the reader closes the pipe (`| head`), and says nothing: the reader chose to stop', async () => {
    const result = await runLauncher(['doctor', '--help'], { cwd, env: baseEnv(), closeStdout: true });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});

describe.concurrent('what the reports say about who wrote them', { timeout: 60_000 }, () => {
  it('names the tool and its version in doctor.json and the JUnit properties', async () => {
    const result = await run(['verify', '--no-suites', '--reports', 'reports-v']);
    expect([0, 2]).toContain(result.code);
    const json = JSON.parse(await fs.readFile(path.join(cwd, 'reports-v/doctor.json'), 'utf8'));
    expect(json.tool).toEqual({ name: 'octolab-verify', version: TOOL_VERSION });
    expect(Object.keys(json).slice(0, 6)).toEqual(['ok', 'checks', 'summary', 'generated_at', 'fatal_count', 'warn_count']);
    const xml = await fs.readFile(path.join(cwd, 'reports-v/junit-doctor.xml'), 'utf8');
    expect(xml).toContain(`<property name="tool_version" value="${TOOL_VERSION}"/>`);
    expect(xml).toContain('<property name="tool_name" value="octolab-verify"/>');
  });
});
