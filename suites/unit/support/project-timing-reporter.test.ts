import { describe, expect, it, vi } from 'vitest';
import type { TestModule } from 'vitest/node';
import ProjectTimingReporter, { renderProjectTimings } from '../../support/project-timing-reporter.ts';

/** A stand-in for vitest's TestModule with what the reporter reads: the project's name and the tests. */
const moduleOf = (project: string, tests: number) => ({ project: { name: project }, children: { allTests: () => Array.from({ length: tests }) } }) as unknown as TestModule;

describe('the project timing reporter', () => {
  it('renders each project\'s span from its first queued file to its last finished one', () => {
    expect(renderProjectTimings([{ project: 'unit', firstQueuedMs: 1000, lastEndedMs: 42_345, files: 97, tests: 1200 }])).toBe(
      'project unit: 97 files, 1200 tests in 41.3 s wall (first file queued → last file done)',
    );
  });

  it('times each project on its own through a run, counting its files and tests, and prints one line each', () => {
    let now = 0;
    const reporter = new ProjectTimingReporter({ now: () => now });
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const [a, b, c] = [moduleOf('unit', 3), moduleOf('unit', 2), moduleOf('soak', 1)];
      reporter.onTestModuleQueued(a);
      now = 100;
      reporter.onTestModuleQueued(b);
      now = 1_500;
      reporter.onTestModuleEnd(a);
      now = 2_000;
      reporter.onTestModuleEnd(b);
      reporter.onTestModuleQueued(c);
      now = 9_000;
      reporter.onTestModuleEnd(c);
      reporter.onTestRunEnd();
      expect(log.mock.calls.map((call) => call[0])).toEqual([
        '\nproject unit: 2 files, 5 tests in 2.0 s wall (first file queued → last file done)\nproject soak: 1 files, 1 tests in 7.0 s wall (first file queued → last file done)',
      ]);
    } finally {
      log.mockRestore();
    }
  });
});
