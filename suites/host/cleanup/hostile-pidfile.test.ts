import { randomUUID } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { FakeLinks } from '../../../fixtures/fake-links.ts';
import { runCleanupCommand } from '../../../lib/cli/commands/cleanup.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { createRealHost } from '../../../lib/host/real-host.ts';
import { readRegularFile } from '../../../lib/host/regular-file.ts';

// A reader that regressed waits forever: the per-test timeout turns that into a failure.
const TIMEOUT = { timeout: 10_000 };

let temp: DirectoryResult;
let stateDir: string;

beforeEach(async () => {
  temp = await dir({ unsafeCleanup: true });
  stateDir = path.join(temp.path, 'microvm');
  await fs.mkdir(stateDir);
});

afterEach(async () => {
  await temp.cleanup();
});

/** Makes a FIFO (mkfifo, coreutils); after the test, opens its write end once so that a reader stuck in open(2) is let go. */
async function plantFifo(at: string): Promise<void> {
  await execa('mkfifo', [at]);
  onTestFinished(async () => {
    const writer = await fs.open(at, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => null); // ENXIO: nobody waits
    await writer?.close();
  });
}

/** Creates lab_<uuid> in the state dir and returns the path of its firecracker.pid (not created). */
async function labPidFile(): Promise<string> {
  const labDir = path.join(stateDir, `lab_${randomUUID()}`);
  await fs.mkdir(labDir);
  return path.join(labDir, 'firecracker.pid');
}

/** Runs `octolab-verify cleanup --dry-run` as the CLI does (real files and processes; no links, so no netd). */
async function dryRun(): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const io: CliIo = { argv: [], env: { PATH: process.env.PATH }, cwd: temp.path, stdout: { write: (t: string) => out.push(t) } as never, stderr: { write: (t: string) => out.push(t) } as never };
  const code = await runCleanupCommand(io, ['--dry-run', '--state-dir', stateDir], { host: createRealHost(), linksIn: () => new FakeLinks() });
  return { code, out: out.join('') };
}

describe('octolab-verify cleanup with a hostile firecracker.pid in the user-owned state dir', () => {
  it('regression: a FIFO as firecracker.pid made root\'s cleanup wait forever; the scan now finishes and says it did not read it', TIMEOUT, async () => {
    const pidFile = await labPidFile();
    await plantFifo(pidFile);
    const { code, out } = await dryRun();
    expect(code).toBe(0);
    expect(out).toContain(`    - ${pidFile}: is a fifo, not a regular file: not read, no pid taken from it\n`);
    expect(out).toMatch(/would remove 1 item\(s\):\n {4}- lab dir /);
  });

  it('regression: a symlink to /dev/zero as firecracker.pid was followed and read without end; the scan now finishes and says it did not follow it', TIMEOUT, async () => {
    const pidFile = await labPidFile();
    await fs.symlink('/dev/zero', pidFile);
    const { code, out } = await dryRun();
    expect(code).toBe(0);
    expect(out).toContain(`    - ${pidFile}: is a symlink, not a regular file: not followed, no pid taken from it\n`);
  });

  it('distrusts a huge regular firecracker.pid after reading no more than a pid can take', TIMEOUT, async () => {
    const pidFile = await labPidFile();
    await fs.writeFile(pidFile, '');
    await fs.truncate(pidFile, 8 * 1024 ** 3); // sparse: 8 GiB of zeros, no disk used
    const { out } = await dryRun();
    expect(out).toContain(`    - ${pidFile}: holds more than 32 bytes, so not a pid: no pid taken from it\n`);
  });
});

describe('reading a file another user controls (readRegularFile)', () => {
  it('answers the kind of a FIFO without waiting for a writer', TIMEOUT, async () => {
    const fifo = path.join(temp.path, 'fifo');
    await plantFifo(fifo);
    expect(await readRegularFile(fifo, 32)).toEqual({ ok: false, kind: 'fifo' });
  });

  it.each([
    ['a symlink to /dev/zero', async (at: string) => fs.symlink('/dev/zero', at), 'symlink'],
    ['a symlink to a regular file', async (at: string) => fs.symlink(path.join(temp.path, 'real'), at), 'symlink'],
    ['a directory', async (at: string) => fs.mkdir(at), 'directory'],
  ] as const)('does not follow or read %s', TIMEOUT, async (_what, plant, kind) => {
    await fs.writeFile(path.join(temp.path, 'real'), '4242\n');
    const at = path.join(temp.path, 'planted');
    await plant(at);
    expect(await readRegularFile(at, 32)).toEqual({ ok: false, kind });
  });

  it('names a device node by its kind without reading it', TIMEOUT, async () => {
    expect(await readRegularFile('/dev/zero', 32)).toEqual({ ok: false, kind: 'char-device' });
  });

  it('reads at most the cap and says when the file holds more', TIMEOUT, async () => {
    const file = path.join(temp.path, 'pid');
    await fs.writeFile(file, '1234567890');
    expect(await readRegularFile(file, 10)).toEqual({ ok: true, data: Buffer.from('1234567890'), truncated: false });
    expect(await readRegularFile(file, 4)).toEqual({ ok: true, data: Buffer.from('1234'), truncated: true });
  });

  it('throws a HostError naming the errno for a missing file', TIMEOUT, async () => {
    await expect(readRegularFile(path.join(temp.path, 'missing'), 32)).rejects.toMatchObject({ errno: 'ENOENT', code: 'HOST_PROBE_FAILED' });
  });
});
