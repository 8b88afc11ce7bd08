import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHost, type FakeFile } from '../../../fixtures/fake-host.ts';
import { FakeLinks } from '../../../fixtures/fake-links.ts';
import { FakeProcessTable } from '../../../fixtures/fake-process-table.ts';
import { createInstallFs } from '../../../lib/host/install-fs.ts';
import type { HostFs } from '../../../lib/host/types.ts';
import { planCleanup } from '../../../lib/provision/cleanup-plan.ts';
import { PID_FILE_MAX_BYTES, scanForResidue } from '../../../lib/provision/cleanup-scan.ts';
import { renderCleanupPlan } from '../../../lib/provision/render-cleanup.ts';

const LAB = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const NOW = Date.now();

let temp: DirectoryResult;
let stateDir: string;
let labDir: string;
let pidFile: string;
/** Answers the scan's pidfile reads: the file kinds and contents each test scripts. */
let host: FakeHost;

beforeEach(async () => {
  temp = await dir({ unsafeCleanup: true });
  stateDir = path.join(temp.path, 'microvm');
  labDir = path.join(stateDir, `lab_${LAB}`);
  pidFile = path.join(labDir, 'firecracker.pid');
  await fs.mkdir(labDir, { recursive: true });
  host = new FakeHost();
});

afterEach(async () => {
  await temp.cleanup();
});

/** Scans the temp state dir (listing it for real) with the pidfile read through `files`. */
function scan(files: Pick<HostFs, 'readRegularFile'> = host.fs) {
  return scanForResidue(stateDir, [null], { fs: createInstallFs(), processes: new FakeProcessTable(), linksIn: () => new FakeLinks(), now: () => NOW, files });
}

describe('reading firecracker.pid from the state dir its unprivileged owner controls', () => {
  it.each<[FakeFile['kind'], string]>([
    ['fifo', 'is a fifo, not a regular file: not read, no pid taken from it'],
    ['symlink', 'is a symlink, not a regular file: not followed, no pid taken from it'],
    ['char-device', 'is a char-device, not a regular file: not read, no pid taken from it'],
    ['socket', 'is a socket, not a regular file: not read, no pid taken from it'],
    ['directory', 'is a directory, not a regular file: not read, no pid taken from it'],
  ])('names a pidfile that is a %s instead of reading it, and the plan says why', async (kind, why) => {
    host.withFile(pidFile, { kind, content: '4242\n' });
    const inventory = await scan();
    expect(inventory.labDirs).toEqual([expect.objectContaining({ labId: LAB, pidFromFile: null, pidFileIgnored: why })]);
    const plan = planCleanup(inventory);
    expect(plan.kept).toEqual([{ what: pidFile, why }]);
    // The lab dir itself is still residue: removing it unlinks the entry without following it.
    expect(plan.remove.map((item) => item.kind)).toEqual(['lab-dir']);
    expect(renderCleanupPlan(plan, stateDir, true)).toContain(`  left alone:\n    - ${pidFile}: ${why}\n`);
  });

  it('asks for no more than a pid can take, and distrusts a longer file', async () => {
    const asked: number[] = [];
    host.withFile(pidFile, { kind: 'file', content: `${'1'.repeat(PID_FILE_MAX_BYTES)}\n` });
    const inventory = await scan({ readRegularFile: (p, maxBytes) => (asked.push(maxBytes), host.fs.readRegularFile(p, maxBytes)) });
    expect(asked).toEqual([32]);
    expect(inventory.labDirs[0]).toMatchObject({ pidFromFile: null, pidFileIgnored: 'holds more than 32 bytes, so not a pid: no pid taken from it' });
  });

  it.each([
    ['4242\n', 4242],
    ['  77  ', 77],
  ])('takes the pid from a regular file holding %j', async (content, pid) => {
    host.withFile(pidFile, { kind: 'file', content });
    expect((await scan()).labDirs[0]).toMatchObject({ pidFromFile: pid, pidFileIgnored: null });
  });

  it('says nothing about a lab dir without a pidfile', async () => {
    const inventory = await scan();
    expect(inventory.labDirs[0]).toMatchObject({ pidFromFile: null, pidFileIgnored: null });
    expect(planCleanup(inventory).kept).toEqual([]);
  });

  it.each([
    [{ kind: 'file', content: '' }, 'holds "", not a pid: no pid taken from it'],
    [{ kind: 'file', content: '12ab\u001b[2J' }, 'holds "12ab\\u001b[2J", not a pid: no pid taken from it'],
    [{ kind: 'file', readErrno: 'EACCES' }, 'could not be read (EACCES): no pid taken from it'],
  ] as Array<[FakeFile, string]>)('reports a pidfile it could not use (%j)', async (file, why) => {
    host.withFile(pidFile, file);
    const inventory = await scan();
    expect(inventory.labDirs[0]).toMatchObject({ pidFromFile: null, pidFileIgnored: why });
    expect(planCleanup(inventory).kept).toEqual([{ what: pidFile, why }]);
  });
});
