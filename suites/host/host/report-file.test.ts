import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostError } from '../../../lib/errors.ts';
import { realReportReader, writeReportFile } from '../../../lib/host/report-file.ts';
import { gate, requireRoot } from '../../support/require.ts';

// The invoking user as sudo would name it: ids nobody on this machine uses.
const SUDO = { SUDO_UID: '4242', SUDO_GID: '4343' };

let temp: DirectoryResult;
let reports: string;
let victim: string;

beforeEach(async () => {
  temp = await dir({ unsafeCleanup: true });
  reports = path.join(temp.path, 'reports');
  await fs.mkdir(reports, { mode: 0o777 });
  victim = path.join(temp.path, 'victim');
  await fs.writeFile(victim, 'precious\n', { mode: 0o600 });
});

afterEach(async () => {
  await temp.cleanup();
});

async function owner(file: string): Promise<string> {
  const stats = await fs.lstat(file);
  return `${stats.uid}:${stats.gid}`;
}

describe('writing a report as root under sudo, into a directory others can write', () => {
  it('gives the report and the directories it created to SUDO_UID:SUDO_GID, and an existing directory to nobody', { tags: ['root'] }, async (ctx) => {
    requireRoot(ctx);
    const file = path.join(reports, 'new', 'sub', 'x.xml');
    await writeReportFile(file, '<report/>\n', SUDO);
    expect(await fs.readFile(file, 'utf8')).toBe('<report/>\n');
    expect([await owner(file), await owner(path.dirname(file)), await owner(path.join(reports, 'new'))]).toEqual(['4242:4343', '4242:4343', '4242:4343']);
    expect(await owner(reports)).toBe('0:0');
  });

  it('regression: a symlink planted at the old predictable temp name made root overwrite and chown its target; the victim is now unchanged', { tags: ['root'] }, async (ctx) => {
    requireRoot(ctx);
    const planted = path.join(reports, `.x.xml.${process.pid}.tmp`);
    await fs.symlink(victim, planted);
    await writeReportFile(path.join(reports, 'x.xml'), '<report/>\n', SUDO);
    expect(await fs.readFile(victim, 'utf8')).toBe('precious\n');
    expect(await owner(victim)).toBe('0:0');
    expect(await fs.readlink(planted)).toBe(victim);
    expect(await owner(path.join(reports, 'x.xml'))).toBe('4242:4343');
  });

  it('replaces a symlink at the report path itself, leaving the file it pointed to as it was', { tags: ['root'] }, async (ctx) => {
    requireRoot(ctx);
    const target = path.join(reports, 'x.xml');
    await fs.symlink(victim, target);
    await writeReportFile(target, '<report/>\n', SUDO);
    expect((await fs.lstat(target)).isFile()).toBe(true);
    expect(await owner(target)).toBe('4242:4343');
    expect([await fs.readFile(victim, 'utf8'), await owner(victim)]).toEqual(['precious\n', '0:0']);
  });

  it('leaves no temp file behind and the old report in place when the disk fills up mid-write', { tags: ['root'] }, async (ctx) => {
    requireRoot(ctx);
    const small = path.join(temp.path, 'small');
    await fs.mkdir(small);
    const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=16k,mode=0777', 'tmpfs', small], { reject: false });
    // Root in a container without CAP_SYS_ADMIN cannot mount: a full disk cannot be made here.
    gate(ctx, 'root', mounted.exitCode === 0 ? null : `cannot mount a small tmpfs to fill up: ${mounted.stderr || mounted.message}`);
    try {
      await fs.writeFile(path.join(small, 'x.xml'), 'old report\n');
      const error = await writeReportFile(path.join(small, 'x.xml'), 'x'.repeat(1024 * 1024), SUDO).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HostError);
      expect((error as HostError).errno).toBe('ENOSPC');
      expect((error as HostError).summary).toContain('ENOSPC (no space left on device)');
      expect(await fs.readdir(small)).toEqual(['x.xml']);
      expect(await fs.readFile(path.join(small, 'x.xml'), 'utf8')).toBe('old report\n');
    } finally {
      await execa('umount', [small]);
    }
  });
});

describe('reading a report back from a directory others can write', () => {
  it('reads a regular report, says null for a missing one, and refuses a FIFO or a symlink without waiting or following', { tags: ['root'], timeout: 10_000 }, async (ctx) => {
    requireRoot(ctx);
    const file = path.join(reports, 'junit-host.xml');
    expect(await realReportReader.read(file)).toBeNull();
    await writeReportFile(file, '<testsuites/>\n', {});
    expect(await realReportReader.read(file)).toBe('<testsuites/>\n');
    await fs.rm(file);
    await fs.symlink(victim, file);
    await expect(realReportReader.read(file)).rejects.toThrow(/junit-host.xml is a symlink, not a regular file: not read/);
    await fs.rm(file);
    await execa('mkfifo', [file]);
    try {
      await expect(realReportReader.read(file)).rejects.toThrow(/junit-host.xml is a fifo, not a regular file: not read/);
    } finally {
      // Should a regression block on the FIFO, a writer releases it so the run can end.
      await fs.open(file, constants.O_WRONLY | constants.O_NONBLOCK).then((h) => h.close(), () => undefined); // ENXIO: nobody waits
    }
  });
});
