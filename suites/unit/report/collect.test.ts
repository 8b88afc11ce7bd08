import { promises as fs } from 'node:fs';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { HostError } from '../../../lib/errors.ts';
import { realReportFiles } from '../../../lib/host/report-inputs.ts';
import { collectHosts } from '../../../lib/report/collect.ts';
import type { ReportFiles } from '../../../lib/report/ports.ts';
import { FLEET_DIR, HOSTS } from './fleet-fixtures.ts';

const inTmp = (fn: (dir: string) => Promise<void>) => withDir(({ path: dir }) => fn(dir), { unsafeCleanup: true });

async function refusal(paths: string[], cwd: string, files: ReportFiles = realReportFiles): Promise<string> {
  const error = await collectHosts(paths, files, cwd).then(() => null, (e: unknown) => e as Error & { summary: string; hint?: string });
  if (!error) throw new Error('the inputs were accepted');
  return `${error.summary} | ${error.hint}`;
}

describe('gathering hosts from the command line', () => {
  it('takes a directory of host directories (CI artifacts side by side) as one host each, named after its directory', async () => {
    const hosts = await collectHosts([FLEET_DIR], realReportFiles, '/');
    expect(hosts.map((h) => h.name).sort()).toEqual([...HOSTS]);
    const ready = hosts.find((h) => h.name === 'host-ready')!;
    expect(ready.documents.map((d) => [path.basename(d.file), d.kind])).toEqual([
      ['boot.json', 'boot'],
      ['doctor.json', 'doctor'],
      ['junit-doctor.xml', 'junit'],
      ['junit-host.xml', 'junit'],
    ]);
  });

  it('takes one host\'s directory, and files, grouping files of one directory into one host', async () => {
    const dir = path.join(FLEET_DIR, 'host-no-kvm');
    expect((await collectHosts([dir], realReportFiles, '/')).map((h) => [h.name, h.documents.length])).toEqual([['host-no-kvm', 3]]);
    const files = ['doctor.json', 'junit-host.xml'].map((f) => path.join(dir, f));
    expect((await collectHosts([...files, path.join(FLEET_DIR, 'host-ready', 'boot.json')], realReportFiles, '/')).map((h) => [h.name, h.documents.map((d) => d.kind)])).toEqual([
      ['host-no-kvm', ['doctor', 'junit']],
      ['host-ready', ['boot']],
    ]);
  });

  it('ignores files that are not .json or .xml (logs, failed-boot directories) in a host directory', () =>
    inTmp(async (dir) => {
      await fs.mkdir(path.join(dir, 'ci-1', 'failed-boots'), { recursive: true });
      await fs.copyFile(path.join(FLEET_DIR, 'host-ready', 'doctor.json'), path.join(dir, 'ci-1', 'doctor.json'));
      await fs.writeFile(path.join(dir, 'ci-1', 'install.log'), 'log');
      const hosts = await collectHosts(['.'], realReportFiles, dir);
      expect(hosts.map((h) => [h.name, h.documents.length])).toEqual([['ci-1', 1]]);
    }));

  it('keeps two hosts of the same directory name apart', () =>
    inTmp(async (dir) => {
      for (const parent of ['a', 'b']) {
        await fs.mkdir(path.join(dir, parent, 'runner'), { recursive: true });
        await fs.copyFile(path.join(FLEET_DIR, 'host-ready', 'doctor.json'), path.join(dir, parent, 'runner', 'doctor.json'));
      }
      expect((await collectHosts(['a/runner', 'b/runner'], realReportFiles, dir)).map((h) => h.name)).toEqual(['runner', 'b/runner']);
    }));

  it.each([
    [[], /no inputs given \| give a directory of one host's reports/],
    [['nowhere'], /^nowhere: does not exist \| give a directory/],
    [['empty'], /^empty: holds no report files \(\*\.json, \*\.xml\), and none of its directories does/],
    [['foreign/package.json'], /^foreign\/package\.json: is JSON but not a doctor report/],
    [['foreign'], /^foreign\/package\.json: is JSON but not/],
  ])('refuses %j with one line naming the path and the fix', (paths, message) =>
    inTmp(async (dir) => {
      await fs.mkdir(path.join(dir, 'empty'));
      await fs.mkdir(path.join(dir, 'foreign'));
      await fs.writeFile(path.join(dir, 'foreign', 'package.json'), '{"name": "x"}');
      expect(await refusal(paths, dir)).toMatch(message);
    }));

  it('names a file it cannot read and says what to do', async () => {
    const denied: ReportFiles = {
      kind: async () => 'file',
      list: async () => [],
      read: async (file) => {
        throw new HostError({ code: 'HOST_PROBE_FAILED', summary: `open ${file} failed: EACCES`, reason: 'EACCES: permission denied', cause: Object.assign(new Error('denied'), { code: 'EACCES' }) });
      },
    };
    expect(await refusal(['r/doctor.json'], '/x', denied)).toMatch(/^r\/doctor\.json: cannot be read \(EACCES\) \| check that it exists and that this user may read it/);
  });

  it('refuses a file larger than a report can be, without reading it', async () => {
    const huge: ReportFiles = { kind: async () => 'file', list: async () => [], read: async () => Promise.reject(new RangeError('too big')) };
    expect(await refusal(['big.json'], '/x', huge)).toMatch(/^big\.json: is larger than 67108864 bytes/);
  });
});
