import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { HostProcesses, RunOptions, RunResult } from './types.ts';
import { hostErrorFrom } from './host-error.ts';

/** Quotes an argument for display in messages only; nothing is ever run through a shell. */
export function displayCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replaceAll("'", "'\\''")}'`)).join(' ');
}

/**
 * Runs one probe with node:child_process (not execa, which costs ~0.1 s to load: the doctor runs
 * getent on every start): argument array, no shell, output collected whole, SIGKILL at the timeout.
 */
function runProbe(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const command = displayCommand(file, args);
  return new Promise((resolve, reject) => {
    // node:child_process (with net and dgram behind it) is taken on first use, not at start.
    const child = process.getBuiltinModule('node:child_process').spawn(file, [...args], {
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    // Spawn failure: ENOENT (not found) or EACCES (not executable).
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(hostErrorFrom(error, `run ${command}`));
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ command, exitCode, signal, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString(), timedOut });
    });
    if (options.input !== undefined) {
      child.stdin!.on('error', () => undefined); // the probe may exit without reading its input (EPIPE)
      child.stdin!.end(options.input);
    }
  });
}

/** The real process probes: argument arrays and a hard timeout; `env` supplies the PATH `which` searches. */
export function createRealProcesses(env: Readonly<Record<string, string | undefined>>): HostProcesses {
  return {
    run: runProbe,
    async which(name) {
      if (name.includes('/')) return name;
      for (const dir of (env.PATH ?? '').split(':')) {
        if (!dir) continue;
        const candidate = path.join(dir, name);
        try {
          const stats = await fs.stat(candidate);
          if (stats.isFile()) {
            await fs.access(candidate, constants.X_OK);
            return candidate;
          }
        } catch {
          // Not in this PATH entry (or not executable there): keep looking, as a shell does.
        }
      }
      return null;
    },
  };
}
