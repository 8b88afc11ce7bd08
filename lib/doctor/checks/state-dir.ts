import path from 'node:path';
import { HostError } from '../../errors.ts';
import type { FileInfo } from '../../host/types.ts';
import { formatMode } from '../../host/permissions.ts';
import type { Check } from '../check.ts';
import { hintContextOf, hints } from '../hints.ts';
import { failed, passed } from '../verdict.ts';
import { accessProblem, describeKind, describeOwner, mustComputeAccess } from './access.ts';

/** The probe file upstream's doctor creates and removes again. */
export const WRITE_PROBE_NAME = '.doctor_write_test';

/**
 * `state_dir`: exists (the doctor never creates it), is a directory, the runtime user may create
 * files in it (computed from mode/owner/groups, and a real write probe), and is not
 * world-writable (WARN).
 */
export const stateDirCheck: Check = {
  id: 'state_dir',
  title: 'State directory',
  async run(ctx) {
    const dir = ctx.config.stateDir;
    const h = hintContextOf(ctx);
    let info: FileInfo;
    try {
      info = await ctx.host.fs.stat(dir);
    } catch (error) {
      const errno = error instanceof HostError ? error.errno : undefined;
      if (errno === 'ENOENT') return failed('fatal', `state_dir does not exist: ${dir}`, hints.stateDirMissing(h, dir));
      if (errno === 'ENOTDIR') return failed('fatal', `state_dir is not a directory: a parent of ${dir} is a file`, hints.stateDirNotDir(h, dir));
      return failed('fatal', `state_dir not writable: cannot stat ${dir} (${errno ?? 'error'})`, hints.stateDirNotWritable(h, dir));
    }
    if (info.kind !== 'directory') return failed('fatal', `state_dir is not a directory: ${dir} is ${describeKind(info.kind)}`, hints.stateDirNotDir(h, dir));
    if (mustComputeAccess(ctx.host, ctx.identity)) {
      const problem = await accessProblem(ctx.host, info, ctx.identity, 'wx');
      if (problem) return failed('fatal', `state_dir not writable: ${problem}`, hints.stateDirNotWritable(h, dir));
    }
    try {
      await ctx.host.fs.writeProbe(dir, WRITE_PROBE_NAME);
    } catch (error) {
      const errno = error instanceof HostError ? error.errno : undefined;
      if (errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS') {
        return failed('fatal', `state_dir not writable: ${dir} (${errno})`, hints.stateDirNotWritable(h, dir));
      }
      const probe = path.join(dir, WRITE_PROBE_NAME);
      if (errno === 'EEXIST') return failed('fatal', `write test failed: ${probe} already exists`, hints.stateDirProbeLeft(h, probe));
      return failed('fatal', `write test failed: ${probe} (${errno ?? (error as Error).message})`, hints.stateDirNotWritable(h, dir));
    }
    const owner = await describeOwner(ctx.host, info);
    const shape = `mode ${formatMode(info.mode)} ${owner}`;
    const facts = { state_dir: `${dir} (${shape})` };
    if ((info.mode & 0o002) !== 0) {
      return failed('warn', `state_dir is world-writable (insecure): ${dir} (${shape})`, hints.stateDirWorldWritable(h, dir), facts);
    }
    return passed(`state_dir writable: ${dir} (${shape})`, facts);
  },
};
