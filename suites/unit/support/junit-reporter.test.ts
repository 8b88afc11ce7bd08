import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { countJUnit } from '../../../ci/junit-summary.ts';

const sampleRoot = path.resolve('fixtures/reporter-sample');
/** vitest's own executable, run with node directly: npx added about half a second to the test. */
const VITEST = path.resolve('node_modules/vitest/vitest.mjs');

describe('the vitest JUnit reporter', () => {
  it('writes junit-<project>.xml that names the project, keeps skip reasons and carries host facts', async () => {
    await withDir(
      async ({ path: dir }) => {
        const run = await execa(process.execPath, [VITEST, 'run', '--root', sampleRoot, '--config', path.join(sampleRoot, 'vitest.config.ts')], {
          reject: false,
          env: { SAMPLE_REPORT_DIR: dir, NO_COLOR: '1' },
        });
        expect(run.exitCode, run.stdout + run.stderr).toBe(1);
        const xml = await readFile(path.join(dir, 'junit-sample.xml'), 'utf8');
        expect(xml).toContain('<testsuites name="octolab-microvm-verify sample"');
        expect(xml).toContain('<skipped message="needs a usable /dev/kvm: open failed with EACCES"/>');
        expect(xml).toContain('<property name="kernel_release" value="sample-kernel"/>');
        expect(xml).toContain('<property name="project" value="sample"/>');
        expect(xml).toMatch(/<failure message="expected 'booted' to be 'Hello, World!'/);
        expect(countJUnit(xml)).toEqual({ passed: 1, failed: 1, skipped: 1 });
        // An uncaught error is filed under the project whose test file raised it.
        const other = await readFile(path.join(dir, 'junit-other.xml'), 'utf8');
        expect(other).toMatch(/<testcase classname="other: unhandled" name="unhandled error 1: stray error from the other project"/);
        expect(countJUnit(other)).toEqual({ passed: 1, failed: 1, skipped: 0 });
        expect(xml).not.toContain('unhandled');
      },
      { unsafeCleanup: true },
    );
  }, 30_000);
});
