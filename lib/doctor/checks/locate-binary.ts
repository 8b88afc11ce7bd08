import { HostError } from '../../errors.ts';
import type { FileInfo } from '../../host/types.ts';
import type { CheckContext } from '../check.ts';
import { accessProblem, describeKind, mustComputeAccess } from './access.ts';

/** A binary located on the host: where it is and what stat said, or the failure details. */
export type LocatedBinary =
  | { ok: true; file: string; info: FileInfo }
  | { ok: false; reason: 'missing' | 'not-file' | 'not-executable' | 'unstatable'; file: string; details: string };

/**
 * Finds `bin` (a path, or a name looked up on PATH), checks it is a regular file the runtime
 * user may execute. Shared by the firecracker and jailer checks.
 */
export async function locateBinary(ctx: CheckContext, bin: string, label: string): Promise<LocatedBinary> {
  const file = await ctx.host.proc.which(bin);
  if (file === null) return { ok: false, reason: 'missing', file: bin, details: `${label} binary not found: ${bin} is not on PATH` };
  let info: FileInfo;
  try {
    info = await ctx.host.fs.stat(file);
  } catch (error) {
    const errno = error instanceof HostError ? error.errno : undefined;
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return { ok: false, reason: 'missing', file, details: `${label} binary not found at ${file}` };
    return { ok: false, reason: 'unstatable', file, details: `${label} binary at ${file} cannot be inspected (${errno ?? 'error'})` };
  }
  if (info.kind !== 'file') return { ok: false, reason: 'not-file', file, details: `${label} path is not a file: ${file} is ${describeKind(info.kind)}` };
  if (mustComputeAccess(ctx.host, ctx.identity) || (info.mode & 0o111) === 0) {
    const problem = await accessProblem(ctx.host, info, ctx.identity, 'x');
    if (problem) return { ok: false, reason: 'not-executable', file, details: `${label} binary not executable: ${problem}` };
  }
  return { ok: true, file, info };
}
