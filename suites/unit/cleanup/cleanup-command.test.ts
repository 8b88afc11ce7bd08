import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHost } from '../../../fixtures/fake-host.ts';
import { FakeLinks } from '../../../fixtures/fake-links.ts';
import { FakeProcessTable } from '../../../fixtures/fake-process-table.ts';
import { runCleanupCommand } from '../../../lib/cli/commands/cleanup.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { createInstallFs } from '../../../lib/host/install-fs.ts';
import { UsageError } from '../../../lib/errors.ts';
import { TOOL_VERSION } from '../../../lib/version.ts';

const LAB = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const YOUNG = '11111111-2222-4333-8444-555555555555';
const NOW = Date.now();
const HOUR = 3_600_000;

let temp: DirectoryResult;
let stateDir: string;
let processes: FakeProcessTable;
let rootLinks: FakeLinks;
let nsLinks: FakeLinks;
let out: string[];
let server: net.Server;

/** Creates lab_<id> with a pidfile, a log and an API socket (held by `server`), last touched `ageMs` ago. */
async function seedLabDir(labId: string, ageMs: number, pid: number): Promise<string> {
  const labDir = path.join(stateDir, `lab_${labId}`);
  await fs.mkdir(labDir);
  await fs.writeFile(path.join(labDir, 'firecracker.pid'), `${pid}\n`);
  await fs.writeFile(path.join(labDir, 'serial.log'), 'Hello, World!\n');
  await touch(labDir, ageMs);
  return labDir;
}

/** Sets the mtime of a lab dir and everything in it to `ageMs` ago. */
async function touch(labDir: string, ageMs: number): Promise<void> {
  const when = new Date(NOW - ageMs);
  for (const file of [...(await fs.readdir(labDir)), '.']) await fs.utimes(path.join(labDir, file), when, when);
}

beforeEach(async () => {
  temp = await dir({ unsafeCleanup: true });
  stateDir = path.join(temp.path, 'microvm');
  await fs.mkdir(stateDir);
  out = [];
  processes = new FakeProcessTable();
  rootLinks = new FakeLinks();
  nsLinks = new FakeLinks();
  const oldLab = await seedLabDir(LAB, 2 * HOUR, 4242);
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path.join(oldLab, 'firecracker.sock'), resolve));
  await touch(oldLab, 2 * HOUR); // binding the socket touched the directory
  await seedLabDir(YOUNG, 60_000, 5151);
  await fs.mkdir(path.join(stateDir, 'verify-1700000000')); // upstream's verify dir: not a lab dir
  processes
    .add({ pid: 4242, argv: ['/usr/local/bin/firecracker', '--api-sock', path.join(oldLab, 'firecracker.sock'), '--id', `lab-${LAB}`], startedAtMs: NOW - 2 * HOUR, ignoresTerm: true })
    .add({ pid: 5151, argv: ['firecracker', '--api-sock', path.join(stateDir, `lab_${YOUNG}`, 'firecracker.sock')], startedAtMs: NOW - 60_000 })
    .add({ pid: 6000, argv: ['firecracker', '--api-sock', '/run/other/firecracker.sock'], startedAtMs: NOW - 9 * HOUR });
  rootLinks.seed({ name: 'obr0a1b2c3d4e', kind: 'bridge', alias: `octolab:lab=${LAB}` }).seed({ name: 'otp0123456789', kind: 'tap' });
  nsLinks.seed({ name: 'otp0a1b2c3d4e', kind: 'tap', alias: `octolab:lab=${LAB}` }).seed({ name: 'otp1111111122', kind: 'tap', alias: `octolab:lab=${YOUNG}` });
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await temp.cleanup();
});

function cleanup(args: string[]): Promise<number> {
  const io: CliIo = { argv: [], env: {}, cwd: temp.path, stdout: { write: (t: string) => out.push(t) } as never, stderr: { write: (t: string) => out.push(t) } as never };
  return runCleanupCommand(io, ['--state-dir', stateDir, '--netns', 'labns', ...args], {
    host: new FakeHost(),
    fs: createInstallFs(),
    processes,
    linksIn: (netns) => (netns === null ? rootLinks : netns === 'labns' ? nsLinks : new FakeLinks().failQuery({ errno: 'OTHER', message: `Cannot open network namespace "${netns}"` })),
    now: () => NOW,
    sleep: async () => undefined,
  });
}

describe('octolab-verify cleanup', () => {
  it('lists what it would remove and what it leaves alone with --dry-run, and changes nothing', async () => {
    expect(await cleanup(['--dry-run'])).toBe(0);
    const text = out.join('');
    expect(text).toContain('dry run, nothing is changed');
    expect(text).toMatch(/would remove 7 item\(s\)/);
    expect(text).toContain(`process 4242  lab ${LAB}`);
    expect(text).toContain('link otp0123456789: it has no owner alias');
    expect(processes.signals).toEqual([]);
    expect(rootLinks.batches).toEqual([]);
    expect((await fs.readdir(stateDir)).sort()).toEqual([`lab_${LAB}`, `lab_${YOUNG}`, 'verify-1700000000']);
  });

  it('removes every lab residue and nothing else: decoy process, unowned link and foreign dir survive', async () => {
    expect(await cleanup([])).toBe(0);
    expect(processes.signals).toEqual([
      { pid: 4242, signal: 'SIGTERM' },
      { pid: 4242, signal: 'SIGKILL' },
      { pid: 5151, signal: 'SIGTERM' },
    ]);
    expect([...processes.table.keys()]).toEqual([6000]);
    expect(rootLinks.labLinkNames()).toEqual(['otp0123456789']);
    expect(nsLinks.labLinkNames()).toEqual([]);
    expect(await fs.readdir(stateDir)).toEqual(['verify-1700000000']);
    expect(out.join('')).toMatch(/cleanup: 7 removed\n$/);
  });

  it('keeps the young lab with --older-than and removes the old one', async () => {
    expect(await cleanup(['--older-than', '10m'])).toBe(0);
    expect(processes.signals.map((s) => s.pid)).toEqual([4242, 4242]);
    expect([...processes.table.keys()].sort()).toEqual([5151, 6000]);
    expect(nsLinks.labLinkNames()).toEqual(['otp1111111122']);
    expect((await fs.readdir(stateDir)).sort()).toEqual([`lab_${YOUNG}`, 'verify-1700000000']);
  });

  it('does not signal a pid that started running something else after the scan', async () => {
    // The scan lists the lab's firecracker; by the time cleanup re-reads pid 4242 it is a shell.
    const realRead = processes.read.bind(processes);
    processes.read = async (pid) => {
      const entry = await realRead(pid);
      return pid === 4242 && entry ? { ...entry, argv: ['bash'] } : entry;
    };
    expect(await cleanup(['--older-than', '10m'])).toBe(0);
    expect(processes.signals).toEqual([]);
    expect(out.join('')).toContain('pid 4242 now runs something else: not signalled');
  });

  it('exits 1 and says which item failed when a link cannot be deleted, but still does the rest', async () => {
    rootLinks.failOn((op) => op.name === 'obr0a1b2c3d4e', 'EPERM', 'RTNETLINK answers: Operation not permitted');
    expect(await cleanup([])).toBe(1);
    expect(out.join('')).toContain('[FAIL] deleting link obr0a1b2c3d4e failed: RTNETLINK answers: Operation not permitted');
    expect(await fs.readdir(stateDir)).toEqual(['verify-1700000000']);
  });

  it('reports a namespace it cannot read', async () => {
    await expect(cleanup(['--netns', 'missing'])).rejects.toThrow(/cannot list the links of network namespace missing: Cannot open network namespace "missing"/);
  });

  it.each([[['--older-than', 'soon']], [['--netns', '../etc']]])('refuses %j as a usage error', async (args) => {
    await expect(cleanup(args)).rejects.toThrow(/is not a duration|is not a namespace name/);
  });

  it('regression: refuses a --state-dir that does not exist (exit 64) instead of finding "nothing left behind" there', async () => {
    const io: CliIo = { argv: [], env: {}, cwd: temp.path, stdout: { write: (t: string) => out.push(t) } as never, stderr: { write: (t: string) => out.push(t) } as never };
    const error = await runCleanupCommand(io, ['--state-dir', path.join(temp.path, 'nope')], { host: new FakeHost(), processes: new FakeProcessTable(), linksIn: () => new FakeLinks(), now: () => NOW }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).summary).toBe(`--state-dir ${path.join(temp.path, 'nope')} does not exist, so there is nothing to clean there: check the path (the configured one is OCTOLAB_MICROVM_STATE_DIR)`);
    expect(out.join('')).toBe('');
  });

  it('says so when the configured state dir does not exist, and still looks for processes and links', async () => {
    const io: CliIo = { argv: [], env: { OCTOLAB_MICROVM_STATE_DIR: path.join(temp.path, 'never-set-up') }, cwd: temp.path, stdout: { write: (t: string) => out.push(t) } as never, stderr: { write: (t: string) => out.push(t) } as never };
    const links = new FakeLinks().seed({ name: 'obr0a1b2c3d4e', kind: 'bridge', alias: `octolab:lab=${LAB}` });
    const code = await runCleanupCommand(io, ['--dry-run'], { host: new FakeHost(), processes: new FakeProcessTable(), linksIn: () => links, now: () => NOW, sockets: new FakeHost().sockets });
    expect(code).toBe(0);
    expect(out.join('')).toContain(`note: the state dir ${path.join(temp.path, 'never-set-up')} does not exist: no lab directories to look at (processes and links were still searched)`);
    expect(out.join('')).toContain('obr0a1b2c3d4e');
  });

  it('prints the plan as snake_case JSON with the tool\'s version with --json', async () => {
    expect(await cleanup(['--dry-run', '--json'])).toBe(0);
    const json = JSON.parse(out.join(''));
    expect(json).toMatchObject({ tool: { name: 'octolab-verify', version: TOOL_VERSION }, ok: true, dry_run: true, state_dir: stateDir, state_dir_found: true, outcomes: null });
    expect(json.remove).toHaveLength(7);
    expect(json.remove[0]).toMatchObject({ kind: 'process', pid: 4242, lab_id: LAB });
    expect(JSON.stringify(json)).not.toMatch(/"[a-z]+[A-Z][a-zA-Z]*":/);
  });
});
