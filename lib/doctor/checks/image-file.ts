import { HostError } from '../../errors.ts';
import type { FileInfo } from '../../host/types.ts';
import type { CheckContext, CheckResult } from '../check.ts';
import { hintContextOf, hints } from '../hints.ts';
import { failed } from '../verdict.ts';
import { accessProblem, describeKind, mustComputeAccess } from './access.ts';

/** Which image a check inspects and where its path came from. */
export interface ImageSpec {
  label: 'kernel' | 'rootfs';
  variable: string;
  /** Where setup puts it, for the "not set" hint. */
  defaultPath: string;
  path: string | null;
}

/** The image's stat and its first bytes, or the failed result that ends the check. */
export type OpenedImage = { ok: true; info: FileInfo; head: Buffer } | { ok: false; result: CheckResult };

/**
 * Checks the steps kernel and rootfs share (configured, exists, regular file, readable by the
 * runtime user) and reads the first `length` bytes. Upstream's texts: "… not set",
 * "kernel not found: …", "kernel path is not a file: …", "kernel not readable".
 */
export async function openImage(ctx: CheckContext, spec: ImageSpec, length: number): Promise<OpenedImage> {
  const h = hintContextOf(ctx);
  const fail = (details: string, hint: string): OpenedImage => ({ ok: false, result: failed('fatal', details, hint) });
  if (spec.path === null) return fail(`${spec.variable} not set`, hints.imageNotSet(h, spec.variable, spec.defaultPath));
  const file = spec.path;
  let info: FileInfo;
  try {
    info = await ctx.host.fs.stat(file);
  } catch (error) {
    const errno = error instanceof HostError ? error.errno : undefined;
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return fail(`${spec.label} not found: ${file}`, hints.imageMissing(h));
    return fail(`${spec.label} not readable: cannot stat ${file} (${errno ?? 'error'})`, hints.imageUnreadable(h, file));
  }
  if (info.kind !== 'file') return fail(`${spec.label} path is not a file: ${file} is ${describeKind(info.kind)}`, hints.imageNotFile(h, file));
  if (mustComputeAccess(ctx.host, ctx.identity)) {
    const problem = await accessProblem(ctx.host, info, ctx.identity, 'r');
    if (problem) return fail(`${spec.label} not readable: ${problem}`, hints.imageUnreadable(h, file));
  }
  try {
    return { ok: true, info, head: await ctx.host.fs.readBytes(file, 0, length) };
  } catch (error) {
    const errno = error instanceof HostError ? error.errno : undefined;
    return fail(`${spec.label} not readable: ${file} (${errno ?? 'read failed'})`, hints.imageUnreadable(h, file));
  }
}

/** Returns "21.3 MiB" / "512 KiB" / "17 bytes" for messages. */
export function describeSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
