import { spawn } from 'node:child_process';
import { promises as fs, watch } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBootCommand } from '../../../lib/cli/commands/boot.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { runCli } from '../../../lib/cli/main.ts';
import { TOOL_VERSION } from '../../../lib/version.ts';
import { createBootSandbox, fakeBootEnv, processesWith, residueOf, type BootSandbox } from './boot-harness.ts';

const BIN = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));
let sandbox: BootSandbox;
beforeAll(async () => {
  sandbox = await createBootSandbox();
}, 60_000);
afterAll(async () => {
  await sandbox?.cleanup();
}, 60_000);

/** The real launcher's environment against the sandbox's fake (boot-harness's one definition). */
const envFor = (extra: Record<string, string> = {}) => fakeBootEnv(sandbox, extra);

/** Starts the real CLI as a child process; `whenStarted` may signal it once it runs. */
function runBin(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: sandbox.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** Resolves when a lab's pid file appears in the state dir (directory events, no polling). */
function labStarted(stateDir: string): Promise<string> {
  return new Promise((resolve) => {
    const watchers = new Map<string, ReturnType<typeof watch>>();
    const finish = (labDir: string) => {
      for (const w of watchers.values()) w.close();
      resolve(labDir);
    };
    const check = async (labDir: string) => {
      if (await fs.stat(path.join(labDir, 'firecracker.pid')).then(() => true, () => false)) finish(labDir);
    };
    watchers.set(
      stateDir,
      watch(stateDir, (_e, name) => {
        if (!name?.startsWith('lab_')) return;
        const labDir = path.join(stateDir, name);
        if (!watchers.has(labDir)) {
          try {
            watchers.set(labDir, watch(labDir, () => void check(labDir)));
          } catch {
            return; // removed again already
          }
        }
        void check(labDir);
      }),
    );
  });
}

describe('octolab-verify boot (the CLI as a process)', { timeout: 60_000 }, () => {
  it('prints every stage, ends on the marker line and exits 0', async () => {
    const { done } = runBin(['boot'], envFor());
    const run = await done;
    expect(run.code).toBe(0);
    for (const stage of ['prepare', 'spawn', 'rootfs-copy', 'api-socket', 'api-ready', 'logger', 'machine', 'boot-source', 'rootfs-drive', 'instance-start', 'running', 'serial-marker', 'guest-exit']) {
      expect(run.stdout).toMatch(new RegExp(`✓ ${stage}\\s+\\d+(\\.\\d+)? m?s `));
    }
    expect(run.stdout.endsWith('\nHello, World!\n')).toBe(true);
    expect(await residueOf(sandbox.stateDir)).toEqual([]);
  });

  it('prints the result as JSON with --json', async () => {
    const run = await runBin(['boot', '--json'], envFor()).done;
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ tool: { name: 'octolab-verify', version: TOOL_VERSION }, ok: true, failed_stage: null, error: null, marker_line: { text: 'Hello, World!' }, exit: { code: 0 } });
    expect(result.stages).toHaveLength(13);
    for (const stage of result.stages) expect(Object.keys(stage)).toEqual(['name', 'title', 'status', 'start_ms', 'duration_ms']);
    type Stage = { name: string; start_ms: number; duration_ms: number };
    const end = (stage: Stage) => stage.start_ms + stage.duration_ms - 0.2; // each time rounded to 0.1 ms
    const inLine: Stage[] = result.stages.filter((stage: Stage) => stage.name !== 'rootfs-copy');
    // The timeline: each stage in line starts where the one before it ended, or later...
    for (const [i, stage] of inLine.entries()) if (i > 0) expect(stage.start_ms).toBeGreaterThanOrEqual(end(inLine[i - 1]!));
    // ...while the rootfs copy overlaps them: it begins once firecracker is spawned, before the wait for
    // its socket, and rootfs-drive begins only after it has ended.
    const at = (name: string): Stage => result.stages.find((stage: Stage) => stage.name === name);
    expect(at('rootfs-copy').start_ms).toBeGreaterThanOrEqual(end(at('spawn')));
    expect(at('rootfs-copy').start_ms).toBeLessThanOrEqual(at('api-socket').start_ms);
    expect(at('rootfs-drive').start_ms).toBeGreaterThanOrEqual(end(at('rootfs-copy')));
    expect(Object.keys(result).filter((key) => /[A-Z]/.test(key))).toEqual([]);
  });

  it('exits 1 naming the failed stage when the marker never comes', async () => {
    const run = await runBin(['boot'], envFor({ FAKE_FIRECRACKER_MODE: 'no-marker' })).done;
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('octolab-verify boot: FAILED at stage "serial-marker"\n');
    expect(run.stdout).toMatch(/^ {2}✓ prepare[\s\S]*\n {2}✗ serial-marker[^\n]*\nboot FAILED at stage "serial-marker"/);
    expect(await residueOf(sandbox.stateDir)).toEqual([]);
  });

  it('with stdout piped (a CI log), prints each stage as it passes, not all at the end', async () => {
    // hold: the guest prints the marker and never exits, so the boot waits at guest-exit until its
    // budget is spent; a stage line seen while the process still runs was printed as it passed.
    const { child, done } = runBin(['boot', '--timeout', '60'], envFor({ FAKE_FIRECRACKER_MODE: 'hold' }));
    const seenWhileRunning = await new Promise<boolean>((resolve) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('✓ serial-marker')) resolve(child.exitCode === null && child.signalCode === null);
      });
      child.once('close', () => resolve(false));
    });
    expect(seenWhileRunning).toBe(true);
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    expect(run.stdout.match(/✓ prepare/g)).toHaveLength(1);
    expect(await residueOf(sandbox.stateDir)).toEqual([]);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('tears everything down when the runner gets %s mid-boot, and exits 130', async (signal) => {
    const started = labStarted(sandbox.stateDir);
    const { child, done } = runBin(['boot'], envFor({ FAKE_FIRECRACKER_DELAY_MS: '20000' }));
    const labDir = await started;
    const labId = path.basename(labDir).slice('lab_'.length);
    expect(await processesWith(`lab-${labId}`)).toHaveLength(1);
    child.kill(signal);
    const run = await done;
    expect(run.code).toBe(130);
    expect(run.stderr).toBe('octolab-verify boot: FAILED at stage "api-socket"\n');
    expect(run.stdout).toMatch(new RegExp(`was interrupted \\(received ${signal}\\); the lab was torn down`));
    expect(await residueOf(sandbox.stateDir, labId)).toEqual([]);
  });

  it('keeps the VM with KEEP=1 and prints how to reach and remove it', async () => {
    const run = await runBin(['boot'], envFor({ KEEP: '1', FAKE_FIRECRACKER_MODE: 'hold' })).done;
    const pid = Number(/pid:\s+(\d+)/.exec(run.stdout)?.[1]);
    const labDir = /rm -rf (\S+)/.exec(run.stdout)?.[1] ?? '';
    try {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/kept: the VM and its lab directory stay/);
      expect(run.stdout).toContain(`kill -KILL -- -${pid}`);
      expect(run.stdout.endsWith('\nHello, World!\n')).toBe(true);
      expect(await fs.readFile(path.join(labDir, 'firecracker.pid'), 'utf8')).toBe(`${pid}\n`);
      expect(await processesWith(path.basename(labDir).replace('lab_', 'lab-'))).toEqual([pid]);
    } finally {
      if (pid > 0) process.kill(-pid, 'SIGKILL');
      if (labDir) await fs.rm(labDir, { recursive: true, force: true });
    }
  });
});

/** A CliIo writing into strings; `tty` makes stdout look like a terminal. */
function memoryIo(args: string[], env: Record<string, string>, tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) => Object.assign(new Writable({ write: (chunk, _e, cb) => (into.push(String(chunk)), cb()) }), { isTTY: tty });
  const io: CliIo = { argv: args, env, stdout: sink(out), stderr: sink(err), cwd: sandbox.root };
  return { io, stdout: () => out.join(''), stderr: () => err.join(''), writes: out };
}

describe('octolab-verify boot (in-process)', { timeout: 60_000 }, () => {
  it('on a terminal shows each stage as it passes, then the result without repeating the table', async () => {
    const { io, stdout, writes } = memoryIo(['boot'], envFor(), true);
    expect(await runBootCommand(io, [])).toBe(0);
    expect(writes.filter((w) => /^ {2}✓ /.test(w))).toHaveLength(13);
    expect(stdout().match(/✓ prepare/g)).toHaveLength(1);
    expect(stdout().endsWith('\nHello, World!\n')).toBe(true);
  });

  it.each([
    [['boot', '--timeout', '0'], /--timeout must be a number of seconds from 0.001 to 3600 .*got "0"/],
    [['boot', '--timeout', '99999'], /--timeout must be a number of seconds from 0.001 to 3600 .*got "99999"/],
    [['boot', '--marker-match', 'fuzzy'], /--marker-match must be line or contains/],
    [['boot', '--marker', ''], /--marker must be one line of printable text/],
    [['boot', '--bogus'], /unknown option --bogus/],
    [['image'], /image needs a subcommand: image build/],
  ])('refuses %j with exit 64 and says what was wrong, in one line that points at --help', async (argv, message) => {
    const { io, stderr } = memoryIo(argv, envFor());
    expect(await runCli(io)).toBe(64);
    expect(stderr()).toMatch(message);
    expect(stderr()).toMatch(new RegExp(`^octolab-verify ${argv[0]}: [^\\n]*; see \`octolab-verify ${argv[0]} --help\`\\n$`));
  });

  it.each([['banana'], ['2']])('refuses KEEP=%s (exit 78) instead of reading it as "no"', async (value) => {
    const { io, stderr } = memoryIo(['boot'], envFor({ KEEP: value }));
    expect(await runCli(io)).toBe(78);
    expect(stderr()).toBe(`octolab-verify boot: invalid configuration: KEEP=${JSON.stringify(value)} (from the environment): allowed is 1, true, yes or on (or 0, false, no, off, empty); Set KEEP=1 or KEEP=0, or unset it.\n`);
  });

  it('fails at prepare, exit 1, when no kernel is configured', async () => {
    const env = envFor();
    delete env.OCTOLAB_MICROVM_KERNEL_PATH;
    const { io, stdout, stderr } = memoryIo(['boot'], env);
    expect(await runCli(io)).toBe(1);
    expect(stdout()).toMatch(/OCTOLAB_MICROVM_KERNEL_PATH is not set/);
    expect(stderr()).toBe('octolab-verify boot: FAILED at stage "prepare"\n');
  });
});
