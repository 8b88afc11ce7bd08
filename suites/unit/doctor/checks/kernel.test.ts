import { describe, expect, it } from 'vitest';
import { ALICE, PATHS, breakers, checkContext, healthyScenario, makeWsl, type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import { makeElfKernel } from '../../../../fixtures/doctor-images.ts';
import type { FakeFile } from '../../../../fixtures/fake-host.ts';
import { kernelCheck } from '../../../../lib/doctor/checks/kernel.ts';

async function run(s: DoctorScenario) {
  return kernelCheck.run(await checkContext(s));
}

function withKernel(file: Partial<FakeFile>): DoctorScenario {
  const s = healthyScenario();
  s.host.withFile(PATHS.kernel, { kind: 'file', mode: 0o644, ...file });
  return s;
}

describe('the kernel check', () => {
  it('passes on a readable x86_64 ELF64 vmlinux and says what it found', async () => {
    const result = await run(healthyScenario());
    expect(result).toMatchObject({ ok: true, severity: 'info', details: 'kernel valid ELF64: /var/lib/octolab/firecracker/vmlinux (x86_64, 8.0 KiB)' });
    expect(result.facts).toMatchObject({ kernel_format: 'ELF64 x86_64', kernel_size: '8192' });
  });

  it('accepts an aarch64 vmlinux and names the machine', async () => {
    expect((await run(withKernel({ content: makeElfKernel({ machine: 183 }) }))).details).toContain('(aarch64,');
  });

  it.each([
    [false, '`sudo octolab-verify setup --kernel-sha256 <sha256|skip>` from the OctoLab repository root'],
    [true, '`sudo octolab-verify setup --kernel-sha256 <sha256|skip>` from the OctoLab repository root'],
  ])('fails when OCTOLAB_MICROVM_KERNEL_PATH is unset (WSL %s), pointing at backend/.env.local and this project\'s setup', async (wsl, setup) => {
    const s = healthyScenario();
    if (wsl) makeWsl(s);
    breakers.kernelUnset(s);
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: 'OCTOLAB_MICROVM_KERNEL_PATH not set' });
    expect(result.hint).toContain('Set OCTOLAB_MICROVM_KERNEL_PATH in backend/.env.local, or run');
    expect(result.hint).toContain('writes OCTOLAB_MICROVM_KERNEL_PATH=/var/lib/octolab/firecracker/vmlinux there');
    expect(result.hint).toContain(setup);
  });

  it('fails when the file does not exist, with the full path', async () => {
    const s = healthyScenario();
    s.host.files.delete(PATHS.kernel);
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: 'kernel not found: /var/lib/octolab/firecracker/vmlinux' });
    expect(result.hint).toMatch(/^Kernel\/rootfs not found/);
  });

  it('fails when the path is a directory', async () => {
    expect((await run(withKernel({ kind: 'directory' }))).details).toBe('kernel path is not a file: /var/lib/octolab/firecracker/vmlinux is a directory');
  });

  it('fails when stat is refused', async () => {
    expect((await run(withKernel({ statErrno: 'EACCES' }))).details).toBe('kernel not readable: cannot stat /var/lib/octolab/firecracker/vmlinux (EACCES)');
  });

  it('computes readability for the sudo user from mode and owner', async () => {
    const result = await run(withKernel({ mode: 0o600, content: makeElfKernel() }));
    expect(result.details).toBe('kernel not readable: alice (uid 1000) cannot read /var/lib/octolab/firecracker/vmlinux: mode 0600 root:root');
    expect(result.hint).toContain('sudo chmod 644 /var/lib/octolab/firecracker/vmlinux');
  });

  it('notices a parent directory the sudo user cannot search', async () => {
    const s = healthyScenario({ identity: ALICE });
    s.host.withFile('/var/lib/octolab/firecracker', { kind: 'directory', mode: 0o700 });
    expect((await run(s)).details).toBe(
      'kernel not readable: alice (uid 1000) cannot reach /var/lib/octolab/firecracker/vmlinux: /var/lib/octolab/firecracker is mode 0700 root:root',
    );
  });

  it('fails when the read itself is refused', async () => {
    expect((await run(withKernel({ content: makeElfKernel(), readErrno: 'EACCES' }))).details).toBe('kernel not readable: /var/lib/octolab/firecracker/vmlinux (EACCES)');
  });

  it('fails on a file too small to hold an ELF64 header', async () => {
    const result = await run(withKernel({ content: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2]) }));
    expect(result.details).toBe('kernel file too small: /var/lib/octolab/firecracker/vmlinux is 5 bytes');
    expect(result.hint).toMatch(/truncated/);
  });

  it('recognises a bzImage and says Firecracker needs an uncompressed vmlinux (extract-vmlinux)', async () => {
    const s = healthyScenario();
    breakers.kernelBzImage(s);
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: 'kernel not ELF format: /var/lib/octolab/firecracker/vmlinux is a bzImage (compressed kernel)' });
    expect(result.hint).toMatch(/uncompressed vmlinux.*scripts\/extract-vmlinux/);
  });

  it.each([
    [Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(200)]), 'a gzip-compressed file'],
    [Buffer.alloc(200, 0x41), 'unknown format, first bytes 41 41 41 41'],
  ])('names what a non-ELF file is', async (content, what) => {
    expect((await run(withKernel({ content }))).details).toBe(`kernel not ELF format: /var/lib/octolab/firecracker/vmlinux is ${what}`);
  });

  it('fails on a 32-bit ELF', async () => {
    const result = await run(withKernel({ content: makeElfKernel({ elfClass: 1 }) }));
    expect(result.details).toBe('kernel not 64-bit ELF: 32-bit (/var/lib/octolab/firecracker/vmlinux)');
  });

  it('fails on a download cut short: the ELF section table lies past the end of the file', async () => {
    const result = await run(withKernel({ content: makeElfKernel({ size: 4096, sectionTableEnd: 1 << 20 }) }));
    expect(result.details).toBe('kernel truncated: /var/lib/octolab/firecracker/vmlinux is 4.0 KiB but its ELF section table ends at byte 1048576');
  });
});
