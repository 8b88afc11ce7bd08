import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Of } from '../../../fixtures/fake-artifacts/build-artifacts.ts';
import { LAUNCHER_PATH } from '../../../lib/package-paths.ts';
import { installLayout } from '../../../lib/provision/layout.ts';
import { createSetupWorld, KERNEL_PATH, listTree, type SetupWorld } from './setup-harness.ts';

let world: SetupWorld;
beforeEach(async () => {
  world = await createSetupWorld();
});
afterEach(async () => {
  await world.cleanup();
});

const output = () => world.stdout.join('') + world.stderr.join('');

describe('setup against a local artifact server', () => {
  it('installs both binaries, the kernel, the rootfs, the state dir and the env block, then runs the doctor', async () => {
    await fs.writeFile(world.envFile, 'DATABASE_URL=postgres://db\n', { mode: 0o640 });
    expect(await world.setup()).toBe(0);
    const layout = installLayout(world.prefix);
    expect(await fs.readFile(layout.firecrackerBin)).toEqual(world.artifacts.firecracker);
    expect(await fs.readFile(layout.jailerBin)).toEqual(world.artifacts.jailer);
    expect((await fs.stat(layout.firecrackerBin)).mode & 0o777).toBe(0o755);
    expect(sha256Of(await fs.readFile(layout.kernel))).toBe(world.artifacts.kernelSha256);
    expect(world.rootfsBuilds).toEqual([layout.rootfs]);
    const state = await fs.stat(layout.stateDir);
    expect(state.isDirectory() && (state.mode & 0o777) === 0o700).toBe(true);
    const env = await fs.readFile(world.envFile, 'utf8');
    expect(env.startsWith('DATABASE_URL=postgres://db\n\n### BEGIN OCTOLAB MICROVM ###\n')).toBe(true);
    expect(env).toContain(`OCTOLAB_FIRECRACKER_BIN=${layout.firecrackerBin}\n`);
    expect(env).toContain(`OCTOLAB_MICROVM_KERNEL_PATH=${layout.kernel}\n`);
    expect((await fs.stat(world.envFile)).mode & 0o777).toBe(0o640);
    expect(world.doctorRuns).toEqual([world.envFile]);
    // Nothing but the installed files: no temp file or tarball is left anywhere under the prefix.
    expect(await listTree(world.prefix)).toEqual(
      ['usr/local/bin/firecracker', 'usr/local/bin/jailer', 'usr/local/bin/octolab-verify', 'var/lib/octolab/firecracker/.octolab-install.json', 'var/lib/octolab/firecracker/rootfs.ext4', 'var/lib/octolab/firecracker/vmlinux'].sort(),
    );
    expect(world.host.calls).toEqual([]); // the group existed: no groupadd; no systemd here: no systemctl
    expect(await fs.readlink(path.join(layout.binDir, 'octolab-verify'))).toBe(LAUNCHER_PATH);
    expect(output()).toMatch(/\[done\] launcher +linked .*octolab-verify -> .*bin\/octolab-verify\.cjs/);
    expect(output()).toMatch(/\[skip\] netd +microvm-netd is not installed as a service: systemd does not run here, so start it by hand: `.*netd serve`/);
  });

  it('downloads nothing on a rerun when the installed files match their checksums', async () => {
    expect(await world.setup()).toBe(0);
    const before = new Map(world.server.requests);
    world.stdout.length = 0;
    expect(await world.setup()).toBe(0);
    expect(world.server.requests).toEqual(before);
    expect(output()).toMatch(/\[ok  \] firecracker .*already installed/);
    expect(output()).toMatch(/\[ok  \] kernel .*already in place/);
    expect(output()).toMatch(/\[ok  \] env-file .*already holds this block/);
  });

  it('downloads the binaries again when an installed one was changed', async () => {
    await world.setup();
    const layout = installLayout(world.prefix);
    await fs.writeFile(layout.jailerBin, 'tampered');
    await world.setup();
    expect(world.server.requests.get(new URL(world.release.url).pathname)).toBe(2);
    expect(await fs.readFile(layout.jailerBin)).toEqual(world.artifacts.jailer);
  });

  it('refuses a tarball whose sha256 does not match and leaves the previous install untouched', async () => {
    await world.setup();
    const layout = installLayout(world.prefix);
    await fs.writeFile(layout.firecrackerBin, 'previous firecracker');
    const tampered = Buffer.from(world.artifacts.tarball);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0xff, tampered.length - 1);
    world.server.files.set(new URL(world.release.url).pathname, { body: tampered });
    world.stdout.length = 0;
    expect(await world.setup()).toBe(1);
    expect(output()).toMatch(/\[FAIL\] firecracker .*does not match its pinned sha256/);
    expect(output()).toContain(`expected sha256 ${world.release.sha256}, got ${sha256Of(tampered)}`);
    expect(output()).toMatch(/\[--  \] kernel +not run/);
    expect(await fs.readFile(layout.firecrackerBin, 'utf8')).toBe('previous firecracker');
    expect((await listTree(world.prefix)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a kernel whose sha256 does not match and keeps the kernel that was there', async () => {
    const layout = installLayout(world.prefix);
    await fs.mkdir(layout.assetsDir, { recursive: true });
    await fs.writeFile(layout.kernel, 'old kernel');
    const code = await world.setup(['--kernel-sha256', 'a'.repeat(64)]);
    expect(code).toBe(1);
    expect(output()).toMatch(/\[FAIL\] kernel +the kernel does not match its pinned sha256/);
    expect(await fs.readFile(layout.kernel, 'utf8')).toBe('old kernel');
  });

  it.each([
    ['the tarball', () => new URL(world.release.url).pathname, 'firecracker'],
    ['the kernel', () => KERNEL_PATH, 'kernel'],
  ])('treats a cut download of %s as a failure and leaves no partial file', async (_name, pathOf, step) => {
    await world.setup();
    const layout = installLayout(world.prefix);
    const served = world.server.files.get(pathOf())!;
    await fs.writeFile(step === 'kernel' ? layout.kernel : layout.firecrackerBin, 'kept');
    world.server.files.set(pathOf(), { body: Buffer.concat([served.body, Buffer.alloc(1 << 20, 7)]), cut: true });
    world.stdout.length = 0;
    // A different kernel checksum forces the kernel download; the binaries were replaced by "kept".
    expect(await world.setup(step === 'kernel' ? ['--kernel-sha256', 'b'.repeat(64)] : [])).toBe(1);
    expect(output()).toMatch(new RegExp(`\\[FAIL\\] ${step} .*was cut after \\d+ of \\d+ bytes`));
    expect(await fs.readFile(step === 'kernel' ? layout.kernel : layout.firecrackerBin, 'utf8')).toBe('kept');
    expect((await listTree(world.prefix)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('follows a redirect, as GitHub release downloads need', async () => {
    const tarballPath = new URL(world.release.url).pathname;
    world.server.files.set('/storage/blob', world.server.files.get(tarballPath)!);
    world.server.files.set(tarballPath, { body: Buffer.alloc(0), redirectTo: '/storage/blob' });
    expect(await world.setup()).toBe(0);
    expect(world.server.requests.get('/storage/blob')).toBe(1);
  });

  it('reports an HTTP error status with the URL', async () => {
    world.server.files.set(KERNEL_PATH, { body: Buffer.alloc(0), status: 404 });
    expect(await world.setup()).toBe(1);
    expect(output()).toContain(`downloading ${world.server.url(KERNEL_PATH)} failed: HTTP 404`);
  });

  it('refuses a kernel that is not a 64-bit ELF, even with a matching checksum', async () => {
    const notElf = Buffer.from('MZ this is a bzImage, not a vmlinux');
    world.server.files.set(KERNEL_PATH, { body: notElf });
    expect(await world.setup(['--kernel-sha256', sha256Of(notElf)])).toBe(1);
    expect(output()).toMatch(/is not a 64-bit ELF/);
    expect(await fs.stat(installLayout(world.prefix).kernel).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');
  });

  it('accepts an unverified kernel only when told to skip the checksum, says so, and skips it on a rerun', async () => {
    expect(await world.setup(['--kernel-sha256', 'skip'])).toBe(0);
    expect(output()).toMatch(/installed .*vmlinux \(4096 bytes, NOT verified \(sha256 [0-9a-f]{64}\)\)/);
    await world.setup(['--kernel-sha256', 'skip']);
    expect(world.server.requests.get(KERNEL_PATH)).toBe(1);
  });

  it('installs from a mirror directory without touching the network', async () => {
    const mirror = path.join(world.root, 'mirror');
    await fs.mkdir(mirror);
    await fs.writeFile(path.join(mirror, world.artifacts.tarballName), world.artifacts.tarball);
    await fs.writeFile(path.join(mirror, world.artifacts.kernelName), world.artifacts.kernel);
    expect(await world.setup(['--mirror', mirror])).toBe(0);
    expect(world.server.requests.size).toBe(0);
    expect(await fs.readFile(installLayout(world.prefix).jailerBin)).toEqual(world.artifacts.jailer);
  });

  // Regression: a file:// mirror was used undecoded, so "my%20dir" was looked up literally.
  it('installs from a file:// mirror URL whose path is percent-encoded (a space as %20)', async () => {
    const mirror = path.join(world.root, 'my dir');
    await fs.mkdir(mirror);
    await fs.writeFile(path.join(mirror, world.artifacts.tarballName), world.artifacts.tarball);
    await fs.writeFile(path.join(mirror, world.artifacts.kernelName), world.artifacts.kernel);
    const url = pathToFileURL(mirror).href;
    expect(url).toContain('my%20dir');
    expect(await world.setup(['--mirror', url])).toBe(0);
    expect(world.server.requests.size).toBe(0);
    expect(await fs.readFile(installLayout(world.prefix).jailerBin)).toEqual(world.artifacts.jailer);
  });

  it('says which file a mirror directory lacks', async () => {
    const mirror = path.join(world.root, 'mirror');
    await fs.mkdir(mirror);
    expect(await world.setup(['--mirror', mirror])).toBe(1);
    expect(output()).toContain(`the mirror has no ${path.join(mirror, world.artifacts.tarballName)}`);
  });

  it('installs from a mirror base URL, asking for the release file names', async () => {
    world.server.files.set(`/mirror/${world.artifacts.tarballName}`, { body: world.artifacts.tarball });
    world.server.files.set(`/mirror/${world.artifacts.kernelName}`, { body: world.artifacts.kernel });
    expect(await world.setup(['--mirror', world.server.url('/mirror')])).toBe(0);
    expect([...world.server.requests.keys()].sort()).toEqual([`/mirror/${world.artifacts.tarballName}`, `/mirror/${world.artifacts.kernelName}`]);
  });
});
