import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDoctorConfig } from '../../../fixtures/doctor-hosts.ts';
import { stateDirCheck } from '../../../lib/doctor/checks/state-dir.ts';
import { runDoctor } from '../../../lib/doctor/run-doctor.ts';
import { createRealHost } from '../../../lib/host/real-host.ts';
import type { Host } from '../../../lib/host/types.ts';
import { requireRoot, requireTools } from '../../support/require.ts';
import { Throwaway, hostAsSudoUser, type ThrowawayUser } from './throwaway.ts';

const made = new Throwaway();
afterEach(() => made.cleanup());

async function check(host: Host, stateDir: string) {
  const report = await runDoctor({ host, config: makeDoctorConfig({ stateDir }), checks: [stateDirCheck], gatherFacts: async () => ({}) });
  return report.checks[0]!;
}

/** A temp dir and a sudo user whose access the check judges. */
async function setup(): Promise<{ base: string; user: ThrowawayUser; host: Host }> {
  const base = await made.directory();
  const user = await made.user('ovds');
  return { base, user, host: hostAsSudoUser(user) };
}

describe('the state_dir check on real directories', () => {
  it('passes on a 0700 directory owned by the sudo user, and its write probe leaves nothing behind', { tags: ['root', 'users'] }, async (ctx) => {
    requireRoot(ctx);
    requireTools(ctx, 'users', ['useradd', 'userdel']);
    const { base, user, host } = await setup();
    const state = path.join(base, 'microvm');
    await fs.mkdir(state, { mode: 0o700 });
    await fs.chown(state, user.uid, user.gid);
    const result = await check(host, state);
    expect(result).toMatchObject({ ok: true, severity: 'info' });
    expect(result.details).toMatch(new RegExp(`^state_dir writable: ${state} \\(mode 0700 ${user.name}:`));
    expect(await fs.readdir(state)).toEqual([]);
  });

  it('fails when it does not exist, and does not create it', { tags: ['root', 'users'] }, async (ctx) => {
    requireRoot(ctx);
    requireTools(ctx, 'users', ['useradd', 'userdel']);
    const { base, user, host } = await setup();
    const state = path.join(base, 'missing');
    const result = await check(host, state);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: `state_dir does not exist: ${state}` });
    expect(result.hint).toContain(`sudo mkdir -p ${state} && sudo chown ${user.name} ${state}`);
    await expect(fs.stat(state)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails when it is a file', { tags: ['root', 'users'] }, async (ctx) => {
    requireRoot(ctx);
    requireTools(ctx, 'users', ['useradd', 'userdel']);
    const { base, host } = await setup();
    const state = path.join(base, 'file');
    await fs.writeFile(state, 'not a directory');
    expect(await check(host, state)).toMatchObject({ ok: false, severity: 'fatal', details: `state_dir is not a directory: ${state} is a regular file` });
  });

  it('fails for the sudo user on a root-owned 0755 directory that root itself could write', { tags: ['root', 'users'] }, async (ctx) => {
    requireRoot(ctx);
    requireTools(ctx, 'users', ['useradd', 'userdel']);
    const { base, user, host } = await setup();
    const state = path.join(base, 'rootowned');
    await fs.mkdir(state, { mode: 0o755 });
    const result = await check(host, state);
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toBe(`state_dir not writable: ${user.name} (uid ${user.uid}) cannot write+execute ${state}: mode 0755 root:root`);
    expect(result.hint).toContain(`sudo chown ${user.name} ${state}`);
    expect((await check(createRealHost(), state)).ok).toBe(true);
  });

  it('warns when it is world-writable', { tags: ['root'] }, async (ctx) => {
    requireRoot(ctx);
    const base = await made.directory();
    const state = path.join(base, 'open');
    await fs.mkdir(state);
    await fs.chmod(state, 0o777);
    const result = await check(createRealHost(), state);
    expect(result).toMatchObject({ ok: false, severity: 'warn', details: `state_dir is world-writable (insecure): ${state} (mode 0777 root:root)` });
    expect(result.hint).toBe(`Remove world write access: \`sudo chmod o-w ${state}\`.`);
  });

  it('fails the write test without touching a probe file somebody left behind', { tags: ['root'] }, async (ctx) => {
    requireRoot(ctx);
    const base = await made.directory();
    const state = path.join(base, 'busy');
    await fs.mkdir(state, { mode: 0o700 });
    await fs.writeFile(path.join(state, '.doctor_write_test'), 'left by somebody');
    const result = await check(createRealHost(), state);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: `write test failed: ${state}/.doctor_write_test already exists` });
    expect(await fs.readFile(path.join(state, '.doctor_write_test'), 'utf8')).toBe('left by somebody');
  });
});
