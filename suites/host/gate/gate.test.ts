import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { listCases } from '../../../lib/junit/count.ts';
import { Throwaway } from '../doctor/throwaway.ts';
import { requireRoot, requireTools } from '../../support/require.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = path.join(ROOT, 'bin/octolab-verify.cjs');
const GATE = path.join(ROOT, 'suites/support/host-gate.mjs');
const made = new Throwaway();
afterEach(() => made.cleanup());

function prerequisites(ctx: TestContext): void {
  requireRoot(ctx);
  requireTools(ctx, 'users', ['useradd', 'userdel', 'runuser']);
}

/** Runs node with `args` as `user` (runuser: a real uid, no shell), from a directory it may enter. */
async function nodeAs(user: string, cwd: string, args: string[], env: Record<string, string> = {}) {
  const vars = Object.entries({ PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }).map(([k, v]) => `${k}=${v}`);
  return execa('runuser', ['-u', user, '--', 'env', '-i', ...vars, process.execPath, ...args], { cwd, reject: false, timeout: 60_000 });
}

describe('the root gate for the host suites and the main job', () => {
  it('refuses `pnpm test:host` and `pnpm test` for a non-root user and says how to run them', { tags: ['root', 'users'] }, async (ctx) => {
    prerequisites(ctx);
    const user = await made.user('ovgt');
    const cwd = await made.directory();
    const hostRun = await nodeAs(user.name, cwd, [GATE], { npm_lifecycle_event: 'test:host' });
    expect(hostRun.exitCode).toBe(1);
    expect(hostRun.stderr).toContain(`running as uid ${user.uid}`);
    expect(hostRun.stderr).toContain('\n  sudo pnpm test:host\n');
    expect(hostRun.stderr).toContain('\n  sudo env "PATH=$PATH" pnpm test:host');
    const bothRun = await nodeAs(user.name, cwd, [GATE], { npm_lifecycle_event: 'test' });
    expect(bothRun.exitCode).toBe(1);
    expect(bothRun.stderr).toContain('\n  sudo pnpm test\n');
  });

  it('lets root through the gate silently', { tags: ['root'] }, async (ctx) => {
    requireRoot(ctx);
    const run = await execa(process.execPath, [GATE], { reject: false });
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
  });

  it('refuses `verify` for a non-root user before writing anything, and points to --no-suites', { tags: ['root', 'users'] }, async (ctx) => {
    prerequisites(ctx);
    const user = await made.user('ovgv');
    const cwd = await made.directory();
    const run = await nodeAs(user.name, cwd, [CLI, 'verify', '--reports', 'out']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('\n  sudo pnpm verify\n');
    expect(run.stderr).toContain('\n  sudo env "PATH=$PATH" pnpm verify');
    expect(run.stderr).toContain('pnpm verify --no-suites');
    await expect(fs.lstat(path.join(cwd, 'out'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('verify --no-suites on this host (the doctor half of the main job)', () => {
  it('writes doctor.json and junit-doctor.xml that agree with each other and with the exit code', { tags: ['root', 'kvm'] }, async (ctx) => {
    requireRoot(ctx);
    const dir = await made.directory();
    const run = await execa(process.execPath, [CLI, 'verify', '--no-suites', '--reports', dir], { cwd: dir, reject: false, timeout: 60_000, env: { NO_COLOR: '1' } });
    const json = JSON.parse(await fs.readFile(path.join(dir, 'doctor.json'), 'utf8')) as { ok: boolean; exit_code: number; checks: Array<{ name: string; ok: boolean; severity: string }> };
    expect(run.exitCode).toBe(json.exit_code);
    expect(json.ok).toBe(json.exit_code === 0);
    const cases = listCases(await fs.readFile(path.join(dir, 'junit-doctor.xml'), 'utf8'));
    expect(cases.map((c) => c.name.split(':')[0])).toEqual(json.checks.map((c) => c.name));
    for (const check of json.checks) {
      const junit = cases.find((c) => c.name.startsWith(`${check.name}:`))!;
      expect(junit.status === 'failed').toBe(!check.ok && check.severity === 'fatal');
    }
    // The summary closes the output with the exit code.
    expect(run.stdout).toContain('host suites: not run (--no-suites)');
    expect(run.stdout.trimEnd().endsWith(`exit ${run.exitCode}`)).toBe(true);
  });
});
