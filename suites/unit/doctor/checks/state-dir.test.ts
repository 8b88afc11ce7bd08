import { describe, expect, it } from 'vitest';
import { ALICE, PATHS, breakers, checkContext, healthyScenario, makeWsl, type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import type { FakeFile } from '../../../../fixtures/fake-host.ts';
import { stateDirCheck } from '../../../../lib/doctor/checks/state-dir.ts';

const DIR = PATHS.stateDir;

async function run(s: DoctorScenario) {
  return stateDirCheck.run(await checkContext(s));
}

function withDir(file: Partial<FakeFile>, s = healthyScenario()): DoctorScenario {
  s.host.withFile(DIR, { kind: 'directory', mode: 0o700, uid: ALICE.uid, gid: ALICE.gid, ...file });
  return s;
}

describe('the state_dir check', () => {
  it('passes on a 0700 directory owned by the runtime user, after a write probe that it removes', async () => {
    const s = healthyScenario();
    const result = await run(s);
    expect(result).toMatchObject({ ok: true, severity: 'info', details: `state_dir writable: ${DIR} (mode 0700 alice:alice)` });
    expect(s.host.writes).toEqual([`${DIR}/.doctor_write_test`]);
  });

  it.each([
    [false, `\`sudo mkdir -p ${DIR} && sudo chown alice ${DIR} && sudo chmod 700 ${DIR}\`, or run \`sudo octolab-verify setup`],
    [true, '`sudo octolab-verify setup --kernel-sha256 <sha256|skip>`'],
  ])('fails when it does not exist and never creates it (WSL %s)', async (wsl, hint) => {
    const s = healthyScenario();
    if (wsl) makeWsl(s);
    breakers.stateDirMissing(s);
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: `state_dir does not exist: ${DIR}` });
    expect(result.hint).toContain(hint);
    expect(result.hint).toContain('the doctor never does');
    expect(s.host.writes).toEqual([]);
  });

  it('fails when a parent is a file (ENOTDIR)', async () => {
    expect((await run(withDir({ statErrno: 'ENOTDIR' }))).details).toBe(`state_dir is not a directory: a parent of ${DIR} is a file`);
  });

  it('fails when it cannot be stat\'ed', async () => {
    expect((await run(withDir({ statErrno: 'EACCES' }))).details).toBe(`state_dir not writable: cannot stat ${DIR} (EACCES)`);
  });

  it('fails when it is a file, with a hint to move it away', async () => {
    const result = await run(withDir({ kind: 'file' }));
    expect(result.details).toBe(`state_dir is not a directory: ${DIR} is a regular file`);
    expect(result.hint).toContain(`sudo mv ${DIR} ${DIR}.bak`);
  });

  it('computes writability for the sudo user: a root-owned 0755 directory fails although root could write', async () => {
    const s = withDir({ mode: 0o755, uid: 0, gid: 0 });
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toBe(`state_dir not writable: alice (uid 1000) cannot write+execute ${DIR}: mode 0755 root:root`);
    expect(result.hint).toBe(`Give it to the runtime user: \`sudo chown alice ${DIR} && sudo chmod 700 ${DIR}\`.`);
  });

  it.each([
    ['EACCES', `state_dir not writable: ${DIR} (EACCES)`],
    ['EROFS', `state_dir not writable: ${DIR} (EROFS)`],
    ['EEXIST', `write test failed: ${DIR}/.doctor_write_test already exists`],
    ['EIO', `write test failed: ${DIR}/.doctor_write_test (EIO)`],
  ])('fails when the write probe fails with %s', async (errno, details) => {
    const s = withDir({ readErrno: errno });
    expect(await run(s)).toMatchObject({ ok: false, severity: 'fatal', details });
  });

  it.each([0o777, 0o1777, 0o703])('warns when it is world-writable (mode %o)', async (mode) => {
    const result = await run(withDir({ mode }));
    expect(result).toMatchObject({ ok: false, severity: 'warn' });
    expect(result.details).toMatch(/^state_dir is world-writable \(insecure\)/);
    expect(result.hint).toBe(`Remove world write access: \`sudo chmod o-w ${DIR}\`.`);
  });

  it('uses the builder for the world-writable state', async () => {
    const s = healthyScenario();
    breakers.stateDirWorldWritable(s);
    expect((await run(s)).severity).toBe('warn');
  });
});
