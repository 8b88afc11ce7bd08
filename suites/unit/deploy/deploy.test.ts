/**
 * The deploy/ files: the systemd service and timer that refresh the Prometheus textfile, and the
 * node-problem-detector custom-plugin configuration that runs the doctor as its plugin.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { requireTools } from '../../support/require.ts';
import { parseGoDuration, validateNpdConfig } from './npd-config.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = path.join(ROOT, 'bin/octolab-verify.cjs');
const INSTALLED_CLI = '/usr/local/bin/octolab-verify';
const SYSTEMD = path.join(ROOT, 'deploy/systemd');
const UNITS = ['octolab-doctor-textfile.service', 'octolab-doctor-textfile.timer'];
const TEXTFILE = '/var/lib/node_exporter/textfile/octolab.prom';
const NPD = path.join(ROOT, 'deploy/node-problem-detector/octolab-doctor.json');

/** `Key=value` lines of one section of a unit file (keys may repeat). */
function section(text: string, name: string): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) current = line;
    else if (current === `[${name}]` && line && !line.startsWith('#')) found.push([line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
  }
  return found;
}

const unitText = (name: string) => readFileSync(path.join(SYSTEMD, name), 'utf8');
const value = (text: string, part: string, key: string) => section(text, part).find(([k]) => k === key)?.[1];

describe('the textfile service and timer', () => {
  it('pass systemd-analyze verify once ExecStart points at this checkout', { tags: ['systemd'] }, async (ctx) => {
    requireTools(ctx, 'systemd', ['systemd-analyze']);
    await withDir(
      async ({ path: dir }) => {
        for (const unit of UNITS) await fs.writeFile(path.join(dir, unit), unitText(unit).replaceAll(INSTALLED_CLI, CLI));
        const result = await execa('systemd-analyze', ['verify', '--man=no', ...UNITS.map((u) => path.join(dir, u))], { reject: false });
        // systemd-analyze exits 0 even for unknown keys: what it says about these files must be nothing.
        const about = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.includes('octolab-doctor'));
        expect({ exitCode: result.exitCode, about }).toEqual({ exitCode: 0, about: [] });
      },
      { unsafeCleanup: true },
    );
  });

  it('is checked by a systemd-analyze that does complain about a broken unit, so the check above can fail', { tags: ['systemd'] }, async (ctx) => {
    requireTools(ctx, 'systemd', ['systemd-analyze']);
    await withDir(
      async ({ path: dir }) => {
        const broken = unitText(UNITS[0]!).replaceAll(INSTALLED_CLI, CLI).replace('Type=oneshot', 'Type=oneshoot');
        await fs.writeFile(path.join(dir, UNITS[0]!), broken);
        const result = await execa('systemd-analyze', ['verify', '--man=no', path.join(dir, UNITS[0]!)], { reject: false });
        expect(`${result.stdout}\n${result.stderr}`).toMatch(/octolab-doctor-textfile\.service:\d+: Failed to parse service type/);
      },
      { unsafeCleanup: true },
    );
  });

  it('refreshes the textfile every few minutes through its service', () => {
    const timer = unitText(UNITS[1]!);
    const every = parseGoDuration(value(timer, 'Timer', 'OnUnitActiveSec')!.replace('min', 'm'))!;
    expect(every).toBeGreaterThanOrEqual(60_000);
    expect(every).toBeLessThanOrEqual(15 * 60_000);
    expect(value(timer, 'Install', 'WantedBy')).toBe('timers.target');
    // No Unit= line: the timer starts the service of its own name.
    expect(value(timer, 'Timer', 'Unit')).toBeUndefined();
  });

  it('runs the doctor into the textfile, treats its findings (2, 3) as a successful refresh, and may write only there', () => {
    const service = unitText(UNITS[0]!);
    expect(value(service, 'Service', 'ExecStart')).toBe(`${INSTALLED_CLI} doctor --format prometheus:${TEXTFILE}`);
    expect(value(service, 'Service', 'Type')).toBe('oneshot');
    expect(value(service, 'Service', 'SuccessExitStatus')!.split(/\s+/).sort()).toEqual(['2', '3']);
    expect(value(service, 'Service', 'ReadWritePaths')!.split(/\s+/)).toContain(path.dirname(TEXTFILE));
    expect(value(service, 'Service', 'ProtectSystem')).toBe('strict');
  });

  it('has an ExecStart that, run as the unit runs it, writes a textfile promtool accepts and exits with a code the unit calls success', { tags: ['promtool'], timeout: 60_000 }, async (ctx) => {
    await withDir(
      async ({ path: dir }) => {
        const [program, ...args] = value(unitText(UNITS[0]!), 'Service', 'ExecStart')!.split(' ');
        expect(program).toBe(INSTALLED_CLI);
        const textfile = path.join(dir, 'textfile', 'octolab.prom');
        const run = await execa(process.execPath, [CLI, ...args.map((a) => a.replace(TEXTFILE, textfile))], { reject: false, env: { NO_COLOR: '1' } });
        expect([0, 2, 3], run.stderr).toContain(run.exitCode);
        expect(run.stdout).toBe('');
        expect(await fs.readdir(path.dirname(textfile))).toEqual(['octolab.prom']);
        requireTools(ctx, 'promtool', ['promtool']);
        const check = await execa('promtool', ['check', 'metrics'], { input: await fs.readFile(textfile, 'utf8'), reject: false });
        expect({ exitCode: check.exitCode, said: check.stdout + check.stderr }).toEqual({ exitCode: 0, said: '' });
      },
      { unsafeCleanup: true },
    );
  });
});

describe('the node-problem-detector custom-plugin configuration', () => {
  const config = JSON.parse(readFileSync(NPD, 'utf8'));

  it('has only the fields, types and duration strings NPD documents, and passes the checks NPD makes', () => {
    expect(validateNpdConfig(config)).toEqual([]);
  });

  it.each([
    ['an unknown field', (c: any) => (c.pluginConfig.interval = '5m'), /pluginConfig\.interval is not a field NPD knows/],
    ['a duration without a unit', (c: any) => (c.pluginConfig.timeout = '60'), /pluginConfig\.timeout must be a positive Go duration string/],
    ['a rule slower than the global timeout', (c: any) => (c.rules[0].timeout = '2m'), /rules\[0\]\.timeout \(2m\) is greater than the global timeout/],
    ['a permanent rule without its default condition', (c: any) => (c.conditions = []), /condition OctoLabMicroVMUnavailable has no default in conditions/],
    ['another plugin', (c: any) => (c.plugin = 'kmsg'), /plugin must be "custom"/],
    ['a relative path', (c: any) => (c.rules[0].path = 'octolab-verify'), /rules\[0\]\.path must be absolute/],
    ['a string max_output_length', (c: any) => (c.pluginConfig.max_output_length = '200'), /max_output_length must be a positive integer/],
  ])('the validator catches %s', (_what, breakIt, message) => {
    const broken = structuredClone(config);
    breakIt(broken);
    expect(validateNpdConfig(broken).join('\n')).toMatch(message);
  });

  it.each([
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['10', null],
    ['5 m', null],
  ])('reads the Go duration %j as %s ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it('runs the doctor as a plugin: one line on stdout, exit 0 (no problem) or 1 (problem), as NPD reads them', { timeout: 60_000 }, async () => {
    const rule = config.rules[0];
    expect(rule.path).toBe(INSTALLED_CLI);
    const run = await execa(process.execPath, [CLI, ...rule.args], { reject: false, env: { NO_COLOR: '1' } });
    expect([0, 1], run.stderr).toContain(run.exitCode);
    expect(run.stdout.split('\n')).toHaveLength(1);
    // NPD keeps the first max_output_length bytes as the condition's message: the verdict is in them.
    expect(run.stdout.slice(0, config.pluginConfig.max_output_length)).toMatch(run.exitCode === 0 ? /^ready: \d+ of \d+ checks passed/ : /^not ready: [a-z_, ]+ (failed|warned)/);
  });

  it('gives the doctor less time than NPD\'s own timeout, and NPD a message budget the doctor\'s answer starts within', () => {
    expect(parseGoDuration(config.rules[0].timeout)!).toBeLessThanOrEqual(parseGoDuration(config.pluginConfig.timeout)!);
    expect(parseGoDuration(config.pluginConfig.invoke_interval)!).toBeGreaterThan(parseGoDuration(config.pluginConfig.timeout)!);
  });
});
