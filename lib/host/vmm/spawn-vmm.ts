import { spawn as spawnChild } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { VmmProcessError } from '../../firecracker/errors.ts';
import type { ProcessExit, SpawnVmm } from '../../firecracker/vmm-process.ts';
import { hostErrorFrom } from '../host-error.ts';
import { displayCommand } from '../real-processes.ts';

/**
 * Starts firecracker as a new session leader (setsid: its own process group, no controlling
 * terminal), stdin from /dev/null, stdout and stderr into files opened O_EXCL, never through a shell.
 * Resolves once the kernel has started the program; a spawn failure (ENOENT, EACCES) rejects.
 */
export const spawnVmm: SpawnVmm = async (request) => {
  const command = displayCommand(request.file, request.args);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  let out: number | undefined;
  let err: number | undefined;
  try {
    out = openSync(request.stdoutPath, flags, 0o600);
    err = openSync(request.stderrPath, flags, 0o600);
  } catch (error) {
    if (out !== undefined) closeSync(out);
    throw hostErrorFrom(error, `create the output files of ${command}`);
  }
  const child = spawnChild(request.file, [...request.args], {
    cwd: request.cwd,
    detached: true,
    stdio: ['ignore', out, err],
    env: request.env as NodeJS.ProcessEnv | undefined,
  });
  // The child has its own copies of the descriptors now.
  closeSync(out);
  closeSync(err);
  let exit: ProcessExit | null = null;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(
        new VmmProcessError({
          code: 'VMM_SPAWN_FAILED',
          summary: `cannot start ${request.file}: ${(error as NodeJS.ErrnoException).code ?? error.message}`,
          attempted: command,
          reason: error.message,
          hint: 'Set OCTOLAB_FIRECRACKER_BIN to an executable firecracker v1.7.x, or install it on PATH; `octolab-verify doctor` checks it.',
          cause: error,
        }),
      ),
    );
  });
  const pid = child.pid!;
  return {
    pid,
    exited,
    exit: () => exit,
    killGroup(signal) {
      // Only while the leader is unreaped: afterwards its pid (and group id) may belong to someone else.
      if (exit !== null) return;
      try {
        process.kill(-pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    },
    detach() {
      child.unref();
    },
  };
};
