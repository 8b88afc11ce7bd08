import { execa } from 'execa';
import { hostErrorFrom } from './host-error.ts';
import { displayCommand } from './real-processes.ts';

/** How a foreground program ended. */
export interface ForegroundResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
}

/** Options for a program that shares this terminal. */
export interface ForegroundOptions {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** On abort the program gets SIGINT (its own clean shutdown), and SIGKILL 10 s later. */
  signal?: AbortSignal;
  /** Its stdout goes to this process's stderr (fd 2), leaving stdout for machine-readable output. */
  stdoutToStderr?: boolean;
}

/**
 * Runs `file args…` in the foreground: the program writes straight to this terminal (stdio
 * inherited) and its exit code comes back. Never through a shell. Spawn failures throw HostError.
 */
export async function runForeground(file: string, args: readonly string[], options: ForegroundOptions): Promise<ForegroundResult> {
  const command = displayCommand(file, args);
  const result = await execa(file, [...args], {
    cwd: options.cwd,
    env: { ...options.env },
    extendEnv: false,
    stdio: ['inherit', options.stdoutToStderr ? 2 : 'inherit', 'inherit'],
    reject: false,
    cancelSignal: options.signal,
    killSignal: 'SIGINT',
    forceKillAfterDelay: 10_000,
  });
  if (result.failed && result.exitCode === undefined && !result.signal && !result.isCanceled) {
    throw hostErrorFrom(result.cause ?? new Error(result.shortMessage), `run ${command}`);
  }
  return { command, exitCode: result.exitCode ?? null, signal: result.signal ?? null };
}
