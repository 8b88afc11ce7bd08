/** `octolab-verify report` through the real launcher: the recorded fleet, and every kind of bad input. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { FLEET_DIR, ROOT } from './fleet-fixtures.ts';

const CLI = path.join(ROOT, 'bin/octolab-verify.cjs');
const GOLDEN = path.join(ROOT, 'fixtures/golden/report/fleet.md');

function report(args: string[], cwd = ROOT) {
  return execa(process.execPath, [CLI, 'report', ...args], { cwd, reject: false, stripFinalNewline: false, env: { NO_COLOR: '1' } });
}

describe('octolab-verify report (the CLI as a process)', { timeout: 60_000 }, () => {
  it('prints the recorded fleet\'s Markdown on stdout and writes the HTML page atomically', () =>
    withDir(
      async ({ path: dir }) => {
        const run = await report(['fixtures/fleet', '--html', path.join(dir, 'out/fleet.html')]);
        expect(run.exitCode).toBe(0);
        expect(run.stdout).toBe(await fs.readFile(GOLDEN, 'utf8'));
        expect(run.stderr).toBe(`report: HTML written to ${path.join(dir, 'out/fleet.html')}\nreport: 3 hosts: 1 not ready, 1 boot failed, 1 ready\n`);
        expect(await fs.readdir(path.join(dir, 'out'))).toEqual(['fleet.html']);
      },
      { unsafeCleanup: true },
    ));

  it('writes the Markdown to --markdown instead of stdout', () =>
    withDir(
      async ({ path: dir }) => {
        const run = await report(['--markdown', 'summary.md', path.join(FLEET_DIR, 'host-ready')], dir);
        expect(run.exitCode).toBe(0);
        expect(run.stdout).toBe('');
        expect(await fs.readFile(path.join(dir, 'summary.md'), 'utf8')).toMatch(/^# OctoLab fleet report\n\n\*\*1 host: 1 ready\*\*/);
      },
      { unsafeCleanup: true },
    ));

  it.each([
    [[], /^octolab-verify report: report: no inputs given; give a directory of one host's reports[^\n]*\n$/],
    [['fixtures/nowhere'], /^octolab-verify report: fixtures\/nowhere: does not exist; give a directory[^\n]*\n$/],
    [['package.json'], /^octolab-verify report: package\.json: is JSON but not a doctor report/],
    [['fixtures/golden/doctor/healthy.txt'], /^octolab-verify report: fixtures\/golden\/doctor\/healthy\.txt: is neither JSON nor XML/],
    [['--html'], /^octolab-verify report: --html needs a value; see `octolab-verify report --help`\n$/],
    [['--html', '/', 'fixtures/fleet'], /^octolab-verify report: --html \/: \/ is a directory: name a file inside it, e\.g\. \/fleet\.html; see `octolab-verify report --help`\n$/],
  ])('answers %j with exit 64 and one line naming the problem, then the fix', async (args, message) => {
    const run = await report(args);
    expect(run.exitCode).toBe(64);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
