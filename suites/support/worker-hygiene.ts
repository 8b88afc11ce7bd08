/**
 * Setup file of the unit project, whose test files share a worker's modules (isolate: false):
 * whatever a file's tests changed through vi (fake timers, spies, stubbed env or globals) is put
 * back after the file, even when a test failed before undoing it itself, so the next file in the
 * worker starts clean.
 */
import { afterAll, vi } from 'vitest';

afterAll(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});
