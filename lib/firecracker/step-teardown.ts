import type { CleanupFailure, RunStepsOptions } from './run-steps.ts';

/** A cleanup a step registered: its name, how to undo, and whether KEEP mode leaves it in place. */
export interface Cleanup {
  name: string;
  run: () => Promise<void>;
  keepable: boolean;
}

/**
 * Runs the cleanups in reverse order of registration, each within its limit; a failing or hanging
 * one does not stop the others. With `keep`, keepable cleanups are skipped and listed as kept.
 */
export async function teardown(cleanups: readonly Cleanup[], keep: boolean, options: RunStepsOptions): Promise<{ cleanupFailures: CleanupFailure[]; kept: string[] }> {
  const cleanupFailures: CleanupFailure[] = [];
  const kept: string[] = [];
  const limit = options.cleanupTimeoutMs ?? 10_000;
  for (const cleanup of [...cleanups].reverse()) {
    if (keep && cleanup.keepable) {
      kept.push(cleanup.name);
      options.onEvent?.({ type: 'cleanup', name: cleanup.name, ok: true, kept: true });
      continue;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        cleanup.run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`cleanup "${cleanup.name}" did not finish within ${limit} ms`)), limit);
        }),
      ]);
      options.onEvent?.({ type: 'cleanup', name: cleanup.name, ok: true, kept: false });
    } catch (error) {
      cleanupFailures.push({ name: cleanup.name, error });
      options.onEvent?.({ type: 'cleanup', name: cleanup.name, ok: false, kept: false });
    } finally {
      clearTimeout(timer);
    }
  }
  return { cleanupFailures, kept };
}
