/**
 * Runs the real launcher (bin/octolab-verify.cjs) as a child process in a process group of its
 * own, so a test can signal it at any moment and afterwards ask whether anything of that group is
 * still alive. Used by the boot chaos soak and by the interruption measurement script.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The launcher of this checkout. */
export const CLI = fileURLToPath(new URL('../../bin/octolab-verify.cjs', import.meta.url));

/** How a run ended, with everything it printed. */
export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A started launcher: its pid (= its process group id), and its end. */
export interface CliRun {
  pid: number;
  done: Promise<CliExit>;
  /** Sends `signal` to the launcher itself (not its group), as a terminal or a service manager would. */
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts `node <cli> ...args` with exactly `env`, detached into its own process group. `prefix`
 * (e.g. `unshare --net --`) is a command that execs the rest, so the pid stays the launcher's.
 */
export function startCli(args: readonly string[], env: Record<string, string>, cwd: string, cli = CLI, prefix: readonly string[] = []): CliRun {
  const argv = [...prefix, process.execPath, cli, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  if (child.pid === undefined) throw new Error(`could not start ${cli}`);
  const pid = child.pid;
  return {
    pid,
    done,
    kill(signal) {
      try {
        process.kill(pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    },
  };
}

/** Resolves with the run's end, or rejects naming `what` when it takes longer than `ms` (a hang). */
export async function endWithin(run: CliRun, ms: number, what: string): Promise<CliExit> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      killGroup(run.pid, 'SIGKILL');
      reject(new Error(`${what}: the launcher (pid ${run.pid}) did not end within ${ms} ms; its process group was killed`));
    }, ms);
  });
  try {
    return await Promise.race([run.done, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** True while any process of process group `pgid` exists (zombies included: nobody reaped them yet). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to process group `pgid`; a group that is gone is fine. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** True when `text` looks like a JavaScript stack trace (an "at …" frame line). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[(:]\S*:\d+/m.test(text);
}
