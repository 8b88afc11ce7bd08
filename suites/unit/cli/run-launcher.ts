/**
 * Runs the real CLI as users do: bin/octolab-verify.cjs executed directly (its shebang, not
 * `node bin/…`), in its own process, with an environment the test chooses. Shared by the CLI
 * boundary tests and the boundary property test (suites/soak).
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The launcher, as a user runs it. */
export const LAUNCHER = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));

/** How one run ended. */
export interface LauncherRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the run was killed for outliving `timeoutMs`. */
  timedOut: boolean;
}

/** Options of one run. */
export interface LaunchOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Replaces stdout (e.g. a file descriptor on /dev/full); stdout is then not captured. */
  stdout?: number;
  /** Kill (SIGKILL) after this long and report timedOut; default 30 s. */
  timeoutMs?: number;
  /** Close the reading end of stdout at once, as `| head -0` does: the CLI's writes meet EPIPE. */
  closeStdout?: boolean;
  /** Run through `node <launcher>` instead of executing the launcher (the shebang's `--` is bypassed). */
  viaNode?: boolean;
  /** Another launcher file than bin/octolab-verify.cjs (e.g. its former name, bin/octolab-verify.mjs). */
  launcher?: string;
  /** Run as this user (a root caller only): its uid and gid, with no supplementary groups. */
  user?: { uid: number; gid: number };
}

/** The smallest environment the CLI needs: PATH, no colour, nothing of the caller's OCTOLAB_*. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', ...extra };
}

/** Runs `octolab-verify args…` and resolves when it ends. */
export function runLauncher(args: readonly string[], options: LaunchOptions): Promise<LauncherRun> {
  const stdio: StdioOptions = ['ignore', options.stdout ?? 'pipe', 'pipe'];
  const launcher = options.launcher ?? LAUNCHER;
  const [file, argv] = options.viaNode ? [process.execPath, [launcher, ...args]] : [launcher, [...args]];
  const child = spawn(file, argv, { cwd: options.cwd, env: options.env ?? baseEnv(), stdio, ...options.user });
  let stdout = '';
  let stderr = '';
  if (options.closeStdout) child.stdout?.destroy();
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** A Node stack frame ("    at fn (file:1:2)") or an uncaught-error dump. */
export const STACK_TRACE = /^\s+at .+(:\d+:\d+\)?|\(native\))$|node:internal|Uncaught|\[ERR_[A-Z_]+\]/m;

/** Notes that are not errors: a report file written (doctor --junit/--format, report --html/--markdown) and report's counts. */
const NOTE = /^doctor: [\w-]+ report written to |^report: (HTML|Markdown) written to |^report: \d+ hosts?: /;

/** stderr's lines that are errors: everything except `… warning: …` lines and notes about written reports. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '' && !/^octolab-verify [a-z]+: warning: /.test(line) && !NOTE.test(line));
}
