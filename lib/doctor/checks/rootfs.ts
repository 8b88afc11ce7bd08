import type { Check } from '../check.ts';
import { hintContextOf, hints } from '../hints.ts';
import { clip, failed, passed } from '../verdict.ts';
import { describeSize, openImage } from './image-file.ts';
import { EXT_MAGIC, EXT_SUPERBLOCK_OFFSET, IMAGE_HEAD_BYTES, describeOtherFormat, parseExtSuperblock } from './image-formats.ts';

/** Where the seed's setup script puts the base rootfs. */
export const DEFAULT_ROOTFS_PATH = '/var/lib/octolab/firecracker/rootfs.ext4';

/**
 * `rootfs`: configured, exists, a regular file readable by the runtime user, an ext4 image
 * (magic 0xEF53 at 1024+56) whose file holds every block the superblock claims
 * (s_blocks_count × block size); a filesystem with recorded errors is a warning.
 */
export const rootfsCheck: Check = {
  id: 'rootfs',
  title: 'Base rootfs image',
  async run(ctx) {
    const h = hintContextOf(ctx);
    const spec = { label: 'rootfs', variable: 'OCTOLAB_MICROVM_ROOTFS_BASE_PATH', defaultPath: DEFAULT_ROOTFS_PATH, path: ctx.config.rootfsPath } as const;
    const opened = await openImage(ctx, spec, IMAGE_HEAD_BYTES);
    if (!opened.ok) return opened.result;
    const { info, head } = opened;
    const file = info.path;
    if (info.size < EXT_SUPERBLOCK_OFFSET * 2) {
      return failed('fatal', `rootfs file too small: ${file} is ${describeSize(info.size)}, too short for an ext4 superblock`, hints.imageTruncated(h));
    }
    const sb = parseExtSuperblock(head);
    if (!sb || sb.magic !== EXT_MAGIC) {
      const found = describeOtherFormat(head);
      return failed('fatal', `rootfs is not an ext4 image: ${file} has no ext4 superblock magic (found ${found})`, hints.rootfsNotExt4(h, found));
    }
    if (sb.corrupt) return failed('fatal', `rootfs has a corrupt ext4 superblock: ${file} (${sb.corrupt})`, hints.imageTruncated(h));
    const needed = sb.blocksCount * sb.blockSize;
    const shape = `${sb.blocksCount} blocks of ${sb.blockSize} bytes`;
    if (info.size < needed) {
      return failed('fatal', `rootfs truncated: ${file} is ${info.size} bytes but its ${sb.flavour} filesystem needs ${needed} (${shape})`, hints.imageTruncated(h));
    }
    const label = sb.volumeName ? `, label "${clip(sb.volumeName, 16)}"` : '';
    const what = `${sb.flavour} filesystem of ${describeSize(needed)}, ${shape}${label}`;
    const facts = { rootfs_path: file, rootfs_format: what };
    if (sb.hasErrors) return failed('warn', `rootfs filesystem has recorded errors: ${file} (${what})`, hints.rootfsErrors(h, file), facts);
    return passed(`rootfs valid ext4 image: ${file} (${what})`, facts);
  },
};
