import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInstallFs } from '../../../lib/host/install-fs.ts';
import { installLayout } from '../../../lib/provision/layout.ts';
import type { AtomicWriteOptions, InstallFs } from '../../../lib/provision/ports.ts';
import { parseKernelSha256 } from '../../../lib/cli/commands/setup.ts';
import { runCli } from '../../../lib/cli/main.ts';
import { createSetupWorld, listTree, type SetupWorld } from './setup-harness.ts';

let world: SetupWorld;
beforeEach(async () => {
  world = await createSetupWorld();
});
afterEach(async () => {
  await world.cleanup();
});

const output = () => world.stdout.join('') + world.stderr.join('');

/** The real InstallFs, with chown and the atomic writes' options recorded instead of applied. */
function recordingFs(chowns: string[], writes: Array<{ file: string; options: AtomicWriteOptions }>): InstallFs {
  const real = createInstallFs();
  return {
    ...real,
    chown: async (target, uid, gid) => void chowns.push(`${target} ${uid}:${gid}`),
    writeFileAtomic: async (file, data, options) => {
      writes.push({ file, options });
      await real.writeFileAtomic(file, data, { mode: options.mode });
    },
  };
}

describe('setup --dry-run', () => {
  it('prints the plan in the seed order and changes nothing', async () => {
    expect(await world.setup(['--dry-run'])).toBe(0);
    const text = output();
    const order = ['firecracker', 'kernel', 'rootfs', 'state-dir', 'group', 'env-file', 'doctor'].map((id) => text.indexOf(` ${id} `));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
    expect(text).toContain(`sha256 ${world.release.sha256}`);
    expect(text).toContain(`OCTOLAB_MICROVM_STATE_DIR=${installLayout(world.prefix).stateDir}`);
    expect(await listTree(world.root)).toEqual([]);
    expect(world.server.requests.size).toBe(0);
    expect(world.doctorRuns).toEqual([]);
  });

  it('shows the whole plan without a kernel checksum, marks it missing, and exits 1', async () => {
    const { runSetupCommand } = await import('../../../lib/cli/commands/setup.ts');
    const io = { argv: [], env: {}, cwd: world.root, stdout: { write: (t: string) => world.stdout.push(t) } as never, stderr: { write: (t: string) => world.stderr.push(t) } as never };
    expect(await runSetupCommand(io, ['--dry-run', '--prefix', world.prefix, '--env-file', world.envFile], { host: world.host, release: world.release })).toBe(1);
    expect(output()).toContain('sha256 MISSING: pass --kernel-sha256 HEX, or --kernel-sha256 skip');
    expect(output()).toMatch(/setup would stop before changing anything:\n {2}- no kernel checksum/);
    expect(output()).toContain(' doctor ');
  });

  it('leaves out the steps that flags turn off', async () => {
    await world.setup(['--dry-run', '--no-group', '--skip-rootfs', '--no-doctor']);
    expect(output()).not.toMatch(/ (group|rootfs|doctor) /);
  });

  it('lists what would stop a real run, and exits 1, when the env file directory is missing', async () => {
    await fs.rm(path.dirname(world.envFile), { recursive: true });
    expect(await world.setup(['--dry-run'])).toBe(1);
    expect(output()).toMatch(/setup would stop before changing anything:\n {2}- the env file's directory .* does not exist/);
  });

});

describe('setup options', () => {
  it.each([
    [undefined, /needs --kernel-sha256: no checksum is known/],
    ['', /needs --kernel-sha256/],
    ['abc', /must be 64 hex digits or "skip"/],
  ])('refuses kernel checksum %j with a hint', (value, message) => {
    expect(() => parseKernelSha256(value)).toThrow(message);
  });

  it('accepts "skip" and upper-case hex', () => {
    expect(parseKernelSha256('SKIP')).toBeNull();
    expect(parseKernelSha256('A'.repeat(64))).toBe('a'.repeat(64));
  });

  it.each([
    [['--group', 'x', '--no-group'], /exclude each other/],
    [['--group', 'Bad Name'], /not a valid group name/],
    [['--kernel-url', 'ftp://x/vmlinux'], /must be an http\(s\) URL/],
    [['--mirror', 'ftp://mirror/'], /only http, https and file URLs/],
    [['--marker', 'two\nlines'], /one line of printable text/],
    [['--frobnicate'], /unknown option --frobnicate/],
  ])('refuses %j as a usage error before doing anything', async (args, message) => {
    await expect(world.setup(args)).rejects.toThrow(message);
    expect(await listTree(world.root)).toEqual([]);
  });

  // Regression: these URLs passed the old regex checks and then crashed setup with an uncaught
  // URIError or TypeError (a stack trace, exit 1) instead of a usage error.
  it.each([
    ['a kernel URL whose name does not decode (with a mirror)', ['--mirror', '.', '--kernel-url', 'https://e.com/vmlinux%E0'], {}, /--kernel-url "https:\/\/e\.com\/vmlinux%E0" ends in "vmlinux%E0", whose percent-encoding is not valid UTF-8: give an http\(s\) URL ending in the file name/],
    ['a kernel URL with a port out of range', ['--kernel-url', 'https://e.com:99999/vmlinux'], {}, /--kernel-url "https:\/\/e\.com:99999\/vmlinux" is not a valid URL .*give an http\(s\) URL ending in the file name/],
    ['a kernel URL without a file name', ['--kernel-url', 'https://e.com/'], {}, /--kernel-url "https:\/\/e\.com\/" does not end in a file name: give an http\(s\) URL/],
    ['a kernel URL from the environment', [], { OCTOLAB_SETUP_KERNEL_URL: 'https://e.com:99999/vmlinux' }, /OCTOLAB_SETUP_KERNEL_URL "https:\/\/e\.com:99999\/vmlinux" is not a valid URL/],
    ['a file mirror URL that does not parse', ['--mirror', 'file://['], {}, /--mirror "file:\/\/\[" is not a valid URL .*give a directory, a file:\/\/ URL of one, or an http\(s\) base URL/],
    ['a file mirror URL whose path does not decode', ['--mirror', 'file:///srv/%E0'], {}, /--mirror "file:\/\/\/srv\/%E0" is not a usable file URL \(URI malformed\)/],
    ['a file mirror URL naming another host', ['--mirror', 'file://elsewhere/srv'], {}, /--mirror "file:\/\/elsewhere\/srv" is not a usable file URL/],
    ['a mirror from the environment', [], { OCTOLAB_SETUP_MIRROR: 'http://m:99999/' }, /OCTOLAB_SETUP_MIRROR "http:\/\/m:99999\/" is not a valid URL/],
  ])('refuses %s in one line, not a stack trace: a usage error (64), or a configuration error (78) when it came from the environment', async (_name, args, env, message) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli({
      argv: ['setup', '--dry-run', '--prefix', world.prefix, '--env-file', world.envFile, '--kernel-sha256', 'skip', ...args],
      env,
      cwd: world.root,
      stdout: { write: (t: string) => out.push(t) } as never,
      stderr: { write: (t: string) => err.push(t) } as never,
    });
    expect(code).toBe(Object.keys(env).length > 0 ? 78 : 64);
    expect(err.join('')).toMatch(message);
    expect(err.join('')).toMatch(/^octolab-verify setup: [^\n]*\n$/);
    expect(err.join('')).not.toMatch(/\n\s+at /);
    expect(out).toEqual([]);
    expect(await listTree(world.root)).toEqual([]);
  });

  it('refuses to install into / without root', async () => {
    world.host.euid = 1000;
    await expect(world.setup(['--prefix', '/'])).rejects.toThrow(/run it as root \(sudo\), or pass --prefix DIR/);
  });
});

describe('setup steps around the downloads', () => {
  it('creates the group with groupadd --system when it is missing', async () => {
    world.host.groups.clear();
    world.host.withCommand(['groupadd', '--system', 'octolab'], { exitCode: 0 });
    expect(await world.setup()).toBe(0);
    expect(world.host.calls).toEqual(['groupadd --system octolab']);
  });

  it('reports a failed groupadd with its output and stops before the env file', async () => {
    world.host.groups.clear();
    world.host.withCommand(['groupadd', '--system', 'octolab'], { exitCode: 10, stderr: 'groupadd: cannot lock /etc/group' });
    expect(await world.setup()).toBe(1);
    expect(output()).toMatch(/\[FAIL\] group +could not create group octolab/);
    expect(output()).toContain('groupadd: cannot lock /etc/group');
    expect(await fs.stat(world.envFile).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');
  });

  it('writes OCTOLAB_NETD_GROUP for a group other than octolab, and the jailer waiver on WSL', async () => {
    world.host.withGroup('labs', 991).withEnv({ WSL_DISTRO_NAME: 'Ubuntu-24.04' });
    await world.setup(['--group', 'labs']);
    const env = await fs.readFile(world.envFile, 'utf8');
    expect(env).toContain('OCTOLAB_NETD_GROUP=labs\n');
    expect(env).toContain('OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER=true\n');
  });

  it('creates a missing env file with mode 0600 for the invoking user and gives them the state dir', async () => {
    const chowns: string[] = [];
    const writes: Array<{ file: string; options: AtomicWriteOptions }> = [];
    const io = { SUDO_UID: '1234', SUDO_GID: '1235' };
    Object.assign(world.host.env, io);
    const { runSetupCommand } = await import('../../../lib/cli/commands/setup.ts');
    const code = await runSetupCommand(
      { argv: [], env: { ...io }, cwd: world.root, stdout: { write: (t: string) => world.stdout.push(t) } as never, stderr: { write: (t: string) => world.stderr.push(t) } as never },
      ['--prefix', world.prefix, '--env-file', world.envFile, '--kernel-url', world.server.url('/kernels/vmlinux-5.10.209'), '--kernel-sha256', world.artifacts.kernelSha256, '--no-doctor', '--skip-rootfs'],
      { host: world.host, fs: recordingFs(chowns, writes), release: world.release },
    );
    expect(code).toBe(0);
    expect(chowns).toEqual([`${installLayout(world.prefix).stateDir} 1234:1235`]);
    expect(writes.find((w) => w.file === world.envFile)?.options).toEqual({ mode: 0o600, uid: 1234, gid: 1235 });
  });

  it('leaves the state dir owner alone when setup was not run through sudo', async () => {
    const chowns: string[] = [];
    const writes: Array<{ file: string; options: AtomicWriteOptions }> = [];
    const code = await world.setup([], { fs: recordingFs(chowns, writes) });
    expect(code).toBe(0);
    expect(chowns).toEqual([]); // no SUDO_UID: whoever runs setup owns it
  });

  it('ends with the doctor exit code when every step succeeded', async () => {
    world.doctorExit = 2;
    expect(await world.setup()).toBe(2);
    expect(output()).toMatch(/\[done\] doctor +doctor: Firecracker unavailable: kvm check\(s\) failed \(exit 2\)\ndoctor report text\n/);
  });
});
