import type { TestProject } from 'vitest/node';
import { ensureBuilt } from '../../scripts/built.cjs';

/**
 * Global setup of every project: makes dist/ current before any test spawns a built program (the
 * CLI, the fakes, the helper processes), and again before each watch-mode rerun. The launchers
 * check too, so a source edited mid-run can never run stale; this keeps the rebuild out of a test.
 */
export default async function setup(project: TestProject): Promise<void> {
  await ensureBuilt();
  project.onTestsRerun(async () => {
    await ensureBuilt();
  });
}
