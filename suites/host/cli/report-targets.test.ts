import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { gate, requireRoot, requireTools } from '../../support/require.ts';
import { baseEnv, errorLines, LAUNCHER, runLauncher, STACK_TRACE } from '../../unit/cli/run-launcher.ts';

// Report and image targets the kernel refuses: a read-only mount, and a reports directory another
// user cannot write. Each is one line and exit 64 before any work, so no verdict is printed first.

describe('output targets the kernel refuses', () => {
  it('refuses a read-only mount for --junit and image build --out in one line (EROFS), before any work', { tags: ['root'], timeout: 120_000 }, async (ctx) => {
    requireRoot(ctx);
    requireTools(ctx, 'root', ['mount', 'umount']);
    const temp = await dir({ unsafeCleanup: true });
    const ro = path.join(temp.path, 'ro');
    await fs.mkdir(ro);
    const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro], { reject: false });
    try {
      gate(ctx, 'root', mounted.exitCode === 0 ? null : `cannot mount a tmpfs here: ${mounted.stderr.trim()}`);
      const junit = await runLauncher(['doctor', '--junit', path.join(ro, 'x.xml')], { cwd: temp.path, env: baseEnv() });
      expect(junit.code).toBe(64);
      expect(errorLines(junit.stderr)).toEqual([`octolab-verify doctor: --junit ${path.join(ro, 'x.xml')}: cannot create a file in ${ro}: EROFS (read-only file system); see \`octolab-verify doctor --help\``]);
      expect(junit.stdout).toBe('');
      const image = await runLauncher(['image', 'build', '--out', path.join(ro, 'hello.ext4')], { cwd: temp.path, env: baseEnv() });
      expect(image.code).toBe(64);
      expect(errorLines(image.stderr)).toEqual([expect.stringMatching(/^octolab-verify image: --out: cannot create a file in .*: EROFS \(read-only file system\); see/)]);
      expect(`${junit.stderr}${image.stderr}`).not.toMatch(STACK_TRACE);
    } finally {
      if (mounted.exitCode === 0) await execa('umount', [ro], { reject: false });
      await temp.cleanup();
    }
  });

  it('regression: verify --no-suites as another user with an unwritable reports dir is one line and exit 64, with no verdict printed before it', { tags: ['root', 'users'], timeout: 120_000 }, async (ctx) => {
    requireRoot(ctx);
    requireTools(ctx, 'users', ['runuser']);
    const canRun = await execa('runuser', ['-u', 'nobody', '--', 'test', '-r', LAUNCHER], { reject: false });
    gate(ctx, 'users', canRun.exitCode === 0 ? null : `nobody cannot read ${LAUNCHER} (the checkout is private)`);
    const temp = await dir({ unsafeCleanup: true });
    try {
      await fs.chmod(temp.path, 0o755);
      const reports = path.join(temp.path, 'reports');
      await fs.mkdir(reports, { mode: 0o755 }); // root's: nobody may not write here
      const run = await execa('runuser', ['-u', 'nobody', '--', LAUNCHER, 'verify', '--no-suites', '--reports', reports], { cwd: temp.path, env: baseEnv(), extendEnv: false, reject: false });
      expect(run.exitCode).toBe(64);
      expect(run.stdout).toBe('');
      expect(errorLines(run.stderr)).toEqual([`octolab-verify verify: --reports ${reports}: cannot create a file in ${reports}: EACCES (permission denied); see \`octolab-verify verify --help\``]);
      expect(await fs.readdir(reports)).toEqual([]);
    } finally {
      await temp.cleanup();
    }
  });
});
