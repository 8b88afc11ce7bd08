/** `doctor --format` through the real launcher on this machine, whatever it has or lacks. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { NAGIOS } from '../../../../lib/doctor/outputs/exit-scheme.ts';
import { requireTools } from '../../../support/require.ts';

const CLI = fileURLToPath(new URL('../../../../bin/octolab-verify.cjs', import.meta.url));

function launch(args: string[], cwd: string) {
  return execa(process.execPath, [CLI, ...args], { cwd, reject: false, env: { NO_COLOR: '1' } });
}

describe('octolab-verify doctor --format (the CLI as a process)', { timeout: 60_000 }, () => {
  it('writes the textfile atomically and answers as a Nagios plugin on stdout, exit code matching the state', { tags: ['promtool'] }, async (ctx) => {
    await withDir(
      async ({ path: dir }) => {
        const run = await launch(['doctor', '--format', 'prometheus:textfile/octolab.prom', '--format', 'nagios'], dir);
        const state = /^OCTOLAB (OK|WARNING|CRITICAL) - /.exec(run.stdout)?.[1] as keyof typeof NAGIOS | undefined;
        expect(state, run.stdout + run.stderr).toBeDefined();
        expect(run.exitCode).toBe(NAGIOS[state!]);
        const file = path.join(dir, 'textfile/octolab.prom');
        expect(run.stderr).toContain(`doctor: Prometheus report written to ${file}`);
        const text = await readFile(file, 'utf8');
        expect(text).toMatch(/^octolab_doctor_ready [01]$/m);
        requireTools(ctx, 'promtool', ['promtool']);
        const check = await execa('promtool', ['check', 'metrics'], { input: text, reject: false });
        expect({ exitCode: check.exitCode, said: check.stdout + check.stderr }).toEqual({ exitCode: 0, said: '' });
      },
      { unsafeCleanup: true },
    );
  });

  it('answers a bad option with the Nagios UNKNOWN line and exit 3, never a stack trace', async () => {
    const run = await launch(['doctor', '--format', 'nagios', '--no-such-option'], process.cwd());
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toMatch(/^OCTOLAB UNKNOWN - the doctor could not run: unknown option --no-such-option\n?$/);
    expect(run.stderr).toBe('octolab-verify doctor: unknown option --no-such-option; see `octolab-verify doctor --help`');
  });
});
