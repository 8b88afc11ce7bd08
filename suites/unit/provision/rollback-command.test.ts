import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRollbackCommand } from '../../../lib/cli/commands/rollback.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { installLayout } from '../../../lib/provision/layout.ts';

let temp: DirectoryResult;
let out: string[];
let envFile: string;
beforeEach(async () => {
  temp = await dir({ unsafeCleanup: true });
  out = [];
  envFile = path.join(temp.path, 'backend/.env.local');
  await fs.mkdir(path.dirname(envFile));
});
afterEach(() => temp.cleanup());

function rollback(args: string[], euid = 0): Promise<number> {
  const io: CliIo = { argv: [], env: {}, cwd: temp.path, stdout: { write: (t: string) => out.push(t) } as never, stderr: { write: (t: string) => out.push(t) } as never };
  return runRollbackCommand(io, args, { euid });
}

/** Puts a fake install under <temp>/prefix. */
async function seedInstall(): Promise<ReturnType<typeof installLayout>> {
  const layout = installLayout(path.join(temp.path, 'prefix'));
  await fs.mkdir(layout.binDir, { recursive: true });
  await fs.mkdir(path.join(layout.stateDir, 'lab_x'), { recursive: true });
  await fs.mkdir(layout.assetsDir, { recursive: true });
  for (const file of [layout.firecrackerBin, layout.jailerBin, layout.kernel, layout.rootfs]) await fs.writeFile(file, 'x');
  await fs.writeFile(path.join(layout.binDir, 'other-tool'), 'keep me');
  return layout;
}

describe('octolab-verify rollback', () => {
  it.each([
    ['### BEGIN OCTOLAB MICROVM ###', '### END OCTOLAB MICROVM ###', '###'],
    ['# BEGIN OCTOLAB_MICROVM', '# END OCTOLAB_MICROVM', 'upstream #'],
  ])('removes a %s block, keeps the other lines and sets OCTOLAB_RUNTIME=compose', async (begin, end, form) => {
    await fs.writeFile(envFile, `SECRET_KEY=s\n\n${begin}\nOCTOLAB_RUNTIME=firecracker\n${end}\n`, { mode: 0o640 });
    expect(await rollback(['--env-file', envFile])).toBe(0);
    expect(await fs.readFile(envFile, 'utf8')).toBe('SECRET_KEY=s\n\nOCTOLAB_RUNTIME=compose\n');
    expect((await fs.stat(envFile)).mode & 0o777).toBe(0o640);
    expect(out.join('')).toContain(`removed lines 3-5 (${form} form)`);
  });

  it('finds backend/.env.local under the working directory by default', async () => {
    await fs.writeFile(envFile, 'OCTOLAB_RUNTIME=firecracker\n');
    expect(await rollback([])).toBe(0);
    expect(await fs.readFile(envFile, 'utf8')).toBe('OCTOLAB_RUNTIME=compose\n');
  });

  it('follows a symlinked env file: the link stays a link and its target is rewritten', async () => {
    const target = path.join(temp.path, 'shared.env');
    await fs.writeFile(target, '### BEGIN OCTOLAB MICROVM ###\nX=1\n### END OCTOLAB MICROVM ###\nA=1\n');
    await fs.symlink(target, envFile);
    expect(await rollback(['--env-file', envFile])).toBe(0);
    expect((await fs.lstat(envFile)).isSymbolicLink()).toBe(true);
    expect(await fs.readFile(target, 'utf8')).toBe('A=1\nOCTOLAB_RUNTIME=compose\n');
  });

  it('creates no env file when there is none', async () => {
    expect(await rollback(['--env-file', envFile])).toBe(0);
    expect(out.join('')).toMatch(/\[skip\] env-file .*does not exist/);
    await expect(fs.stat(envFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses an unbalanced block and leaves the file as it was', async () => {
    const text = 'A=1\n# BEGIN OCTOLAB_MICROVM\nOCTOLAB_RUNTIME=firecracker\n';
    await fs.writeFile(envFile, text);
    expect(await rollback(['--env-file', envFile])).toBe(1);
    expect(out.join('')).toMatch(/:2: the block opened here .* has no end marker; the file was not changed/);
    expect(await fs.readFile(envFile, 'utf8')).toBe(text);
  });

  it('removes the assets, the state dir and the two binaries with the flags, and nothing else', async () => {
    const layout = await seedInstall();
    await fs.writeFile(envFile, 'A=1\n');
    expect(await rollback(['--env-file', envFile, '--prefix', layout.prefix, '--remove-assets', '--remove-binaries'])).toBe(0);
    for (const gone of [layout.assetsDir, layout.stateDir, layout.firecrackerBin, layout.jailerBin]) await expect(fs.lstat(gone)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await fs.readFile(path.join(layout.binDir, 'other-tool'), 'utf8')).toBe('keep me');
    expect(await fs.readdir(path.join(layout.prefix, 'var/lib/octolab'))).toEqual([]);
  });

  it('leaves assets and binaries in place without the flags', async () => {
    const layout = await seedInstall();
    expect(await rollback(['--env-file', envFile, '--prefix', layout.prefix])).toBe(0);
    expect(await fs.readFile(layout.kernel, 'utf8')).toBe('x');
    expect(await fs.readFile(layout.firecrackerBin, 'utf8')).toBe('x');
  });

  it('prints the plan with --dry-run and changes nothing', async () => {
    const layout = await seedInstall();
    await fs.writeFile(envFile, '# BEGIN OCTOLAB_MICROVM\nX=1\n# END OCTOLAB_MICROVM\n');
    expect(await rollback(['--dry-run', '--env-file', envFile, '--prefix', layout.prefix, '--remove-assets', '--remove-binaries'])).toBe(0);
    expect(out.join('')).toMatch(/dry run[\s\S]*env-file[\s\S]*assets[\s\S]*binaries/);
    expect(await fs.readFile(envFile, 'utf8')).toContain('# BEGIN OCTOLAB_MICROVM');
    expect(await fs.readFile(layout.jailerBin, 'utf8')).toBe('x');
  });

  it('refuses to remove system files without root', async () => {
    await expect(rollback(['--remove-binaries'], 1000)).rejects.toThrow(/run rollback as root/);
  });
});
