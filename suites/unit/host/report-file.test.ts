import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeReportFile } from '../../../lib/host/report-file.ts';

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
    await expect(writeReportFile(target, '<report/>\n', {})).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) });
    expect((await fs.readdir(reports)).sort()).toEqual(['.x.xml.1.tmp', 'x.xml']);
    expect(await fs.readFile(path.join(target, 'keep'), 'utf8')).toBe('kept\n');
  });

  it('creates missing directories on the way to the report', async () => {
    await writeReportFile(path.join(reports, 'a', 'b', 'x.xml'), '<report/>\n', {});
    expect(await fs.readFile(path.join(reports, 'a', 'b', 'x.xml'), 'utf8')).toBe('<report/>\n');
  });
});
