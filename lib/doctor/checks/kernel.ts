import type { Check } from '../check.ts';
import { hintContextOf, hints } from '../hints.ts';
import { failed, passed } from '../verdict.ts';
import { describeSize, openImage } from './image-file.ts';
import { ELF64_HEADER_BYTES, IMAGE_HEAD_BYTES, inspectKernelHeader } from './image-formats.ts';

/** Where the seed's setup script puts the kernel. */
export const DEFAULT_KERNEL_PATH = '/var/lib/octolab/firecracker/vmlinux';

/**
 * `kernel`: configured, exists, a regular file readable by the runtime user, an ELF64 (a bzImage
 * gets the extract-vmlinux hint), and not cut short (its section table lies inside the file).
 */
export const kernelCheck: Check = {
  id: 'kernel',
  title: 'Guest kernel image',
  async run(ctx) {
    const h = hintContextOf(ctx);
    const spec = { label: 'kernel', variable: 'OCTOLAB_MICROVM_KERNEL_PATH', defaultPath: DEFAULT_KERNEL_PATH, path: ctx.config.kernelPath } as const;
    const opened = await openImage(ctx, spec, IMAGE_HEAD_BYTES);
    if (!opened.ok) return opened.result;
    const { info, head } = opened;
    const file = info.path;
    const header = inspectKernelHeader(head);
    if (info.size < ELF64_HEADER_BYTES) return failed('fatal', `kernel file too small: ${file} is ${describeSize(info.size)}`, hints.imageTruncated(h));
    if (header.kind === 'bzimage') return failed('fatal', `kernel not ELF format: ${file} is a bzImage (compressed kernel)`, hints.kernelBzImage());
    if (header.kind === 'other') return failed('fatal', `kernel not ELF format: ${file} is ${header.what}`, hints.kernelNotElf());
    if (header.elfClass !== 2) {
      const bits = header.elfClass === 1 ? '32-bit' : `ELF class ${header.elfClass}`;
      return failed('fatal', `kernel not 64-bit ELF: ${bits} (${file})`, hints.kernel32Bit());
    }
    if (header.sectionTableEnd !== null && header.sectionTableEnd > info.size) {
      return failed(
        'fatal',
        `kernel truncated: ${file} is ${describeSize(info.size)} but its ELF section table ends at byte ${header.sectionTableEnd}`,
        hints.imageTruncated(h),
      );
    }
    const facts = { kernel_path: file, kernel_format: `ELF64 ${header.machine}`, kernel_size: String(info.size) };
    return passed(`kernel valid ELF64: ${file} (${header.machine}, ${describeSize(info.size)})`, facts);
  },
};
