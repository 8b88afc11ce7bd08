import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { HostError } from '../../../lib/errors.ts';
import { reportTargetProblem, writeReportFile } from '../../../lib/host/report-file.ts';

let temp: DirectoryResult;
let reports: string;
let victim: string;

beforeEach(async () => {
  temp = await dir({ unsafeCleanup: true });
  reports = path.join(temp.path, 'reports');
  await fs.mkdir(reports);
  victim = path.join(temp.path, 'victim');
  await fs.writeFile(victim, 'precious\n');
});

afterEach(async () => {
  await temp.cleanup();
});

describe('writing a report into a directory others can write (writeReportFile)', () => {
  it('regression: a symlink planted at the old predictable temp name .x.xml.<pid>.tmp made the writer overwrite its target; it is now left untouched', async () => {
    const planted = path.join(reports, `.x.xml.${process.pid}.tmp`);
    await fs.symlink(victim, planted);
    await writeReportFile(path.join(reports, 'x.xml'), '<report/>\n', {});
    expect(await fs.readFile(victim, 'utf8')).toBe('precious\n');
    expect(await fs.readlink(planted)).toBe(victim);
    expect(await fs.readFile(path.join(reports, 'x.xml'), 'utf8')).toBe('<report/>\n');
    expect((await fs.lstat(path.join(reports, 'x.xml'))).isFile()).toBe(true);
  });

  it('replaces a symlink at the report path itself instead of writing through it', async () => {
    const target = path.join(reports, 'x.xml');
    await fs.symlink(victim, target);
    await writeReportFile(target, '<report/>\n', {});
    expect((await fs.lstat(target)).isFile()).toBe(true);
    expect(await fs.readFile(target, 'utf8')).toBe('<report/>\n');
    expect(await fs.readFile(victim, 'utf8')).toBe('precious\n');
  });

  it('leaves the report and no temp file in the directory', async () => {
    await writeReportFile(path.join(reports, 'x.xml'), '<report/>\n', {});
    await writeReportFile(path.join(reports, 'x.xml'), '<report again="1"/>\n', {});
    expect(await fs.readdir(reports)).toEqual(['x.xml']);
    expect(await fs.readFile(path.join(reports, 'x.xml'), 'utf8')).toBe('<report again="1"/>\n');
  });

  it('removes its temp file, and nothing else, when the rename into place fails', async () => {
    const target = path.join(reports, 'x.xml');
    await fs.mkdir(target);
    await fs.writeFile(path.join(target, 'keep'), 'kept\n'); // a non-empty directory: rename(2) refuses
    await fs.writeFile(path.join(reports, '.x.xml.1.tmp'), 'not ours\n');
    const error = await writeReportFile(target, '<report/>\n', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostError);
    expect((error as HostError).errno).toMatch(/^(EISDIR|ENOTEMPTY|EEXIST)$/);
    expect((error as HostError).summary).toMatch(new RegExp(`^cannot write ${target}: (EISDIR|ENOTEMPTY|EEXIST)`));
    expect((await fs.readdir(reports)).sort()).toEqual(['.x.xml.1.tmp', 'x.xml']);
    expect(await fs.readFile(path.join(target, 'keep'), 'utf8')).toBe('kept\n');
  });

  it('creates missing directories on the way to the report', async () => {
    await writeReportFile(path.join(reports, 'a', 'b', 'x.xml'), '<report/>\n', {});
    expect(await fs.readFile(path.join(reports, 'a', 'b', 'x.xml'), 'utf8')).toBe('<report/>\n');
  });

  it('regression: a directory under /proc is an error at once, not a recursive mkdir that spins forever', async () => {
    const error = await writeReportFile('/proc/octolab-verify-no-such/x.xml', '<report/>\n', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostError);
    expect((error as HostError).summary).toBe('cannot create /proc/octolab-verify-no-such: ENOENT (no such file or directory)');
  });

  it('regression: a path under a file is named (ENOTDIR/EEXIST from mkdir said nothing useful)', async () => {
    await fs.writeFile(path.join(reports, 'plain'), 'x');
    const error = await writeReportFile(path.join(reports, 'plain', 'sub', 'x.xml'), '<report/>\n', {}).catch((e: unknown) => e);
    expect((error as HostError).summary).toBe(`${path.join(reports, 'plain')} is a file, not a directory`);
  });
});

describe('checking a report target before any work (reportTargetProblem)', () => {
  it.each([
    ['a directory', async () => reports, (p: string) => `${p} is a directory: name a file inside it, e.g. ${path.join(p, 'r.xml')}`],
    ['a file under a file', async () => { await fs.writeFile(path.join(reports, 'f'), ''); return path.join(reports, 'f', 'r.xml'); }, () => `${path.join(reports, 'f')} is a file, not a directory`],
    ['a FIFO', async () => { await execa('mkfifo', [path.join(reports, 'p')]); return path.join(reports, 'p'); }, (p: string) => `${p} is not a regular file: name a file to (over)write`],
  ])('names the problem when the target is %s', async (_label, arrange, expected) => {
    const target = await arrange();
    expect(await reportTargetProblem(target, 'r.xml')).toBe(expected(target));
  });

  it('accepts a new file in a directory that does not exist yet (it is created) and leaves no probe behind', async () => {
    expect(await reportTargetProblem(path.join(reports, 'new', 'r.xml'))).toBeNull();
    expect(await fs.readdir(path.join(reports, 'new'))).toEqual([]);
  });

});
