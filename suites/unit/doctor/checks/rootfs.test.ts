import { describe, expect, it } from 'vitest';
import { PATHS, breakers, checkContext, healthyScenario, type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import { makeExtImage } from '../../../../fixtures/doctor-images.ts';
import type { FakeFile } from '../../../../fixtures/fake-host.ts';
import { rootfsCheck } from '../../../../lib/doctor/checks/rootfs.ts';

const ROOTFS = PATHS.rootfs;

async function run(s: DoctorScenario) {
  return rootfsCheck.run(await checkContext(s));
}

function withRootfs(file: Partial<FakeFile>): DoctorScenario {
  const s = healthyScenario();
  s.host.withFile(ROOTFS, { kind: 'file', mode: 0o644, ...file });
  return s;
}

describe('the rootfs check', () => {
  it('passes on an ext4 image and says what it found', async () => {
    const result = await run(healthyScenario());
    expect(result).toMatchObject({ ok: true, severity: 'info' });
    expect(result.details).toBe(`rootfs valid ext4 image: ${ROOTFS} (ext4 filesystem of 64.0 KiB, 64 blocks of 1024 bytes, label "rootfs")`);
  });

  it.each([
    [{ logBlockSize: 2, blocks: 16 }, '16 blocks of 4096 bytes'],
    [{ flavour: 'ext2' as const }, 'ext2 filesystem'],
    [{ flavour: 'ext3' as const, volumeName: '' }, 'ext3 filesystem of 64.0 KiB, 64 blocks of 1024 bytes)'],
  ])('reads the superblock fields of %o', async (options, expected) => {
    expect((await run(withRootfs({ content: makeExtImage(options) }))).details).toContain(expected);
  });

  it('fails when OCTOLAB_MICROVM_ROOTFS_BASE_PATH is unset', async () => {
    const s = healthyScenario();
    s.config.rootfsPath = null;
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: 'OCTOLAB_MICROVM_ROOTFS_BASE_PATH not set' });
    expect(result.hint).toContain('/var/lib/octolab/firecracker/rootfs.ext4');
  });

  it.each([
    ['missing', null, `rootfs not found: ${ROOTFS}`],
    ['a directory', { kind: 'directory' as const }, `rootfs path is not a file: ${ROOTFS} is a directory`],
    ['unreadable for the sudo user', { mode: 0o640, gid: 6 }, `rootfs not readable: alice (uid 1000) cannot read ${ROOTFS}: mode 0640 root:6`],
    ['refusing the read', { content: makeExtImage(), readErrno: 'EIO' }, `rootfs not readable: ${ROOTFS} (EIO)`],
  ])('fails when the file is %s', async (_name, file, details) => {
    const s = healthyScenario();
    if (file === null) s.host.files.delete(ROOTFS);
    else s.host.withFile(ROOTFS, { kind: 'file', mode: 0o644, content: makeExtImage(), ...file });
    expect(await run(s)).toMatchObject({ ok: false, severity: 'fatal', details });
  });

  it('fails on a file too short to hold a superblock', async () => {
    expect((await run(withRootfs({ content: Buffer.alloc(1000) }))).details).toBe(`rootfs file too small: ${ROOTFS} is 1000 bytes, too short for an ext4 superblock`);
  });

  it.each([
    [Buffer.alloc(4096), 'unknown format, first bytes 00 00 00 00'],
    [Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(4092)]), 'a qcow2 disk image'],
    [Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(4092)]), 'a squashfs image'],
    [makeExtImage({ magic: 0x1234 }), 'unknown format, first bytes 00 00 00 00'],
  ])('says what a non-ext4 image is instead', async (content, found) => {
    const result = await run(withRootfs({ content }));
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: `rootfs is not an ext4 image: ${ROOTFS} has no ext4 superblock magic (found ${found})` });
    expect(result.hint).toContain('raw ext4 image');
  });

  it('names a partitioned disk image', async () => {
    const content = Buffer.alloc(4096);
    content[510] = 0x55;
    content[511] = 0xaa;
    expect((await run(withRootfs({ content }))).details).toContain('a partitioned disk image');
  });

  it('fails on a truncated image: the file is shorter than s_blocks_count × block size', async () => {
    const s = healthyScenario();
    breakers.rootfsTruncated(s);
    const result = await run(s);
    expect(result).toMatchObject({ ok: false, severity: 'fatal' });
    expect(result.details).toBe(`rootfs truncated: ${ROOTFS} is 16384 bytes but its ext4 filesystem needs 65536 (64 blocks of 1024 bytes)`);
    expect(result.hint).toMatch(/truncated or corrupted/);
  });

  it('counts s_blocks_count_hi when the 64bit feature is set', async () => {
    const result = await run(withRootfs({ content: makeExtImage({ blocks: 64, blocksHigh: 1 }) }));
    expect(result.details).toContain(`needs ${(2 ** 32 + 64) * 1024} (${2 ** 32 + 64} blocks of 1024 bytes)`);
  });

  it('fails on a corrupt superblock (block size out of range)', async () => {
    const content = makeExtImage();
    content.writeUInt32LE(9, 1024 + 0x18);
    expect((await run(withRootfs({ content }))).details).toBe(`rootfs has a corrupt ext4 superblock: ${ROOTFS} (s_log_block_size 9 is out of range)`);
  });

  it('warns when the filesystem recorded errors', async () => {
    const result = await run(withRootfs({ content: makeExtImage({ hasErrors: true }) }));
    expect(result).toMatchObject({ ok: false, severity: 'warn' });
    expect(result.hint).toContain(`e2fsck -f ${ROOTFS}`);
  });
});
