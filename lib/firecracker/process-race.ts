import { VmmProcessError } from './errors.ts';
import type { ProcessExit, VmmProcess } from './vmm-process.ts';

/** Describes an exit as `code 1` or `signal SIGKILL`. */
export function describeExit(exit: ProcessExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** Firecracker's exit codes (FcExitCode) and what they usually mean. */
const EXIT_MEANINGS: Record<number, string> = {
  1: 'a generic error (e.g. the API socket path already exists, or the log file could not be opened)',
  2: 'an unexpected error',
  148: 'a bad system call: the seccomp filter stopped it',
  149: 'SIGBUS',
  150: 'SIGSEGV',
  151: 'SIGXFSZ (file size limit)',
  152: 'a bad configuration (an invalid --level)',
  153: 'an argument parsing error',
  154: 'SIGXCPU',
  156: 'SIGHUP',
  157: 'SIGILL',
};

/** Returns what an exit usually means, for hints. */
export function meaningOfExit(exit: ProcessExit): string | null {
  if (exit.signal === 'SIGABRT') return 'a panic (abort), e.g. an invalid --id';
  return exit.code === null ? null : (EXIT_MEANINGS[exit.code] ?? null);
}

/** The error for firecracker ending while a stage still needed it. */
export function exitedError(exit: ProcessExit, during: string): VmmProcessError {
  const meaning = meaningOfExit(exit);
  return new VmmProcessError({
    code: 'VMM_EXITED',
    summary: `firecracker exited (${describeExit(exit)}) while ${during}`,
    reason: meaning ? `exit ${describeExit(exit)}: ${meaning}` : `exit ${describeExit(exit)}`,
    hint: 'Its stderr, serial output and log (below) say why.',
  });
}

/** Resolves with `work`, or rejects with `exitedError` if firecracker ends first. */
export async function unlessExited<T>(vmm: VmmProcess | undefined, work: Promise<T>, during: string): Promise<T> {
  if (!vmm) return work;
  const early = vmm.exit();
  if (early) throw exitedError(early, during);
  let stop = () => undefined as void;
  const exited = new Promise<never>((_, reject) => {
    let active = true;
    stop = () => void (active = false);
    void vmm.exited.then((exit) => active && reject(exitedError(exit, during)));
  });
  try {
    return await Promise.race([work, exited]);
  } catch (error) {
    // A refused or reset API call is often the first sign of an exit whose event is still on its way.
    const exit = await exitWithin(vmm, EXIT_GRACE_MS);
    throw exit && !(error instanceof VmmProcessError) ? exitedError(exit, during) : error;
  } finally {
    stop();
  }
}

const EXIT_GRACE_MS = 250;

/** Resolves with `work`'s value, or with the exit if firecracker ends first (or `work` fails because it ended). */
export async function valueOrExit<T>(vmm: VmmProcess, work: Promise<T>): Promise<{ value: T } | { exit: ProcessExit }> {
  const early = vmm.exit();
  if (early) return { exit: early };
  try {
    return await Promise.race([work.then((value) => ({ value })), vmm.exited.then((exit) => ({ exit }))]);
  } catch (error) {
    const exit = await exitWithin(vmm, EXIT_GRACE_MS);
    if (exit) return { exit };
    throw error;
  }
}

/** Resolves with the exit if it happens within `ms`, else null; woken by the exit event. */
async function exitWithin(vmm: VmmProcess, ms: number): Promise<ProcessExit | null> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([vmm.exited, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
