import { describe, expect, it } from 'vitest';
import { readElfLinkage } from '../../../lib/provision/elf-linkage.ts';
import { markerProblem, renderHelloInit, shellQuote } from '../../../lib/provision/hello-init.ts';
import { buildHelloRootfs, helloFingerprint, ProvisionError } from '../../../lib/provision/hello-rootfs.ts';
import type { ImageFiles } from '../../../lib/host/image-files.ts';
import { FakeHost } from '../../../fixtures/fake-host.ts';

/** A minimal ELF64 little-endian x86-64 header with one program header of type `ptype`. */
function elf(ptype: number, machine = 0x3e): Buffer {
  const bytes = Buffer.alloc(64 + 56);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  bytes.writeUInt16LE(2, 0x10);
  bytes.writeUInt16LE(machine, 0x12);
  bytes.writeBigUInt64LE(64n, 0x20);
  bytes.writeUInt16LE(56, 0x36);
  bytes.writeUInt16LE(1, 0x38);
  bytes.writeUInt32LE(ptype, 64);
  return bytes;
}
const read = (bytes: Buffer) => async (offset: number, length: number) => bytes.subarray(offset, offset + length);

/** ImageFiles that must not be written to: only `exists` answers. */
function readOnlyFiles(existing: string[]): ImageFiles {
  const refuse = (name: string) => async () => Promise.reject(new Error(`unexpected write: ${name}`));
  return {
    exists: async (p) => existing.includes(p),
    makeStagingDir: refuse('makeStagingDir'),
    mkdir: refuse('mkdir'),
    writeFile: refuse('writeFile'),
    copyFile: refuse('copyFile'),
    symlink: refuse('symlink'),
    tempPathBeside: () => {
      throw new Error('unexpected tempPathBeside');
    },
    rename: refuse('rename'),
    remove: refuse('remove'),
  };
}

function hostWith(busybox: Buffer): FakeHost {
  return new FakeHost()
    .withEnv({ PATH: '/usr/bin:/usr/sbin' })
    .withFile('/usr/bin/busybox', { kind: 'file', mode: 0o755, content: busybox })
    .withExecutable('/usr/sbin/mkfs.ext4')
    .withExecutable('/usr/sbin/debugfs')
    .withExecutable('/usr/sbin/e2fsck')
    .withFile('/out', { kind: 'directory', mode: 0o755 });
}

describe('the hello init script', () => {
  it('prints the marker with printf and reboots with busybox', () => {
    expect(renderHelloInit('Hello, World!')).toBe(
      "#!/bin/sh\n# OctoLab hello init: print the marker on the console, then reboot.\n# With reboot=k on the kernel command line, Firecracker then exits 0.\nprintf '%s\\n' 'Hello, World!'\nexec /bin/busybox reboot -f\n",
    );
  });

  it.each([
    ["it's", `'it'\\''s'`],
    ['$(reboot)', `'$(reboot)'`],
    ['-n', `'-n'`],
  ])('quotes %j for the shell as %s', (text, quoted) => {
    expect(shellQuote(text)).toBe(quoted);
  });

  it.each([
    ['', /empty/],
    ['two\nlines', /control character/],
    ['x'.repeat(201), /longer than 200/],
  ])('refuses the marker %j', (marker, why) => {
    expect(markerProblem(marker)).toMatch(why);
    expect(() => renderHelloInit(marker)).toThrow(why);
  });
});

describe('reading ELF linkage', () => {
  it.each([
    [1, 'static'],
    [3, 'dynamic'],
  ])('program header type %i means %s', async (ptype, kind) => {
    expect((await readElfLinkage(read(elf(ptype)))).kind).toBe(kind);
  });

  it('says why a file is not an ELF executable', async () => {
    expect(await readElfLinkage(read(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(64))))).toEqual({ kind: 'not-elf', why: 'no ELF magic' });
  });
});

describe('buildHelloRootfs refusals (nothing written)', () => {
  it('refuses a dynamically linked busybox and names the package to install', async () => {
    const error = await buildHelloRootfs({ host: hostWith(elf(3)), out: '/out/hello.ext4', files: readOnlyFiles([]) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisionError);
    expect(error).toMatchObject({ code: 'IMAGE_BAD_BUSYBOX', summary: '/usr/bin/busybox is dynamically linked; the hello image has no libraries' });
    expect((error as ProvisionError).hint).toMatch(/busybox-static/);
  });

  it('refuses a busybox for another architecture', async () => {
    const error = await buildHelloRootfs({ host: hostWith(elf(1, 0x28)), out: '/out/hello.ext4', files: readOnlyFiles([]) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IMAGE_BAD_BUSYBOX' });
  });

  it('refuses to replace a file that is not a hello image, unless forced', async () => {
    const host = hostWith(elf(1)).withCommand(['/usr/sbin/debugfs', '-R', 'cat /etc/octolab-hello', '/out/hello.ext4'], {
      stderr: 'debugfs 1.47.0 (5-Feb-2023)\ncat: Bad magic number in super-block while opening filesystem\n',
    });
    const error = await buildHelloRootfs({ host, out: '/out/hello.ext4', files: readOnlyFiles(['/out/hello.ext4']) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IMAGE_EXISTS', summary: '/out/hello.ext4 exists and is not a hello image built by octolab-verify' });
    expect((error as ProvisionError).hint).toMatch(/--force/);
  });

  it('leaves an up-to-date image alone', async () => {
    const busybox = elf(1);
    const fingerprint = helloFingerprint(busybox, 'Hello, World!', 16);
    const host = hostWith(busybox).withCommand(['/usr/sbin/debugfs', '-R', 'cat /etc/octolab-hello', '/out/hello.ext4'], {
      stdout: `format=octolab-hello-rootfs/1\nfingerprint=${fingerprint}\nmarker="Hello, World!"\n`,
    });
    const result = await buildHelloRootfs({ host, out: '/out/hello.ext4', files: readOnlyFiles(['/out/hello.ext4']) });
    expect(result).toMatchObject({ built: false, path: '/out/hello.ext4', fingerprint, busybox: '/usr/bin/busybox' });
  });

  it('refuses an output directory that does not exist, saying how to create it', async () => {
    const error = await buildHelloRootfs({ host: hostWith(elf(1)), out: '/missing/hello.ext4', files: readOnlyFiles([]) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IMAGE_OUT_DIR_MISSING', hint: 'Create it first (mkdir -p /missing) or choose another --out.' });
  });

  it('refuses a tiny image size and a marker with a line break before touching anything', async () => {
    await expect(buildHelloRootfs({ host: hostWith(elf(1)), out: '/o', sizeMib: 4, files: readOnlyFiles([]) })).rejects.toMatchObject({ code: 'IMAGE_BAD_SIZE' });
    await expect(buildHelloRootfs({ host: hostWith(elf(1)), out: '/o', marker: 'a\nb', files: readOnlyFiles([]) })).rejects.toMatchObject({ code: 'IMAGE_BAD_MARKER' });
  });
});

