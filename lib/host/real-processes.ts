import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { HostProcesses, RunResult } from './types.ts';
import { hostErrorFrom } from './host-error.ts';

/** Quotes an argument for display in messages only; nothing is ever run through a shell. */
export function displayCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replaceAll("'", "'\\''")}'`)).join(' ');
}

/** The real process probes: execa with argument arrays and a hard timeout. */
export function createRealProcesses(env: Readonly<Record<string, string | undefined>>): HostProcesses {
  return {
    async run(file, args, options): Promise<RunResult> {
      const command = displayCommand(file, args);
      const result = await execa(file, [...args], {
        timeout: options.timeoutMs,
        reject: false,
        stripFinalNewline: false,
        env: options.env,
        extendEnv: true,
        input: options.input,
        stdin: options.input === undefined ? 'ignore' : undefined,
        killSignal: 'SIGKILL',
      });
      if (result.failed && result.exitCode === undefined && !result.timedOut && !result.signal) {
        // Spawn failure: ENOENT (not found) or EACCES (not executable).
        throw hostErrorFrom(result.cause ?? new Error(result.shortMessage), `run ${command}`);
      }
      return {
        command,
        exitCode: result.exitCode ?? null,
        signal: result.signal ?? null,
        stdout: String(result.stdout ?? ''),
        stderr: String(result.stderr ?? ''),
        timedOut: result.timedOut,
      };
    },
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
