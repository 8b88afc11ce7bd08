import { ChecksumMismatchError } from './errors.ts';
import { describeLocation } from './sources.ts';
import type { ArtifactLocation, Downloader, FetchResult, InstallFs, ProgressCallback } from './ports.ts';

/** What to fetch and how to judge it. */
export interface VerifiedFetch {
  /** A short name for messages ("kernel", "firecracker tarball"). */
  name: string;
  from: ArtifactLocation;
  /** The final path; untouched unless every check passed. */
  dest: string;
  /** The expected sha256, or null when the operator accepted the file unverified. */
  sha256: string | null;
  /** Mode given to the file before it is renamed into place. */
  mode: number;
  /** A content check run on the downloaded temp file (e.g. "is an ELF"); throws to refuse it. */
  inspect?: (tempPath: string) => Promise<void>;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/**
 * Downloads into a temp file beside `dest`, verifies the sha256 (and `inspect`), then renames it
 * over `dest`. A checksum mismatch, a cut download or a failed inspection removes the temp file
 * and leaves `dest` exactly as it was. Returns the size and sha256 of what was installed.
 */
export async function fetchVerified(fs: InstallFs, downloader: Downloader, request: VerifiedFetch): Promise<FetchResult> {
  const temp = fs.tempPathBeside(request.dest);
  try {
    const fetched = await downloader.fetch(request.from, temp, { onProgress: request.onProgress, signal: request.signal });
    if (request.sha256 !== null && fetched.sha256 !== request.sha256) throw mismatch(request, fetched);
    await request.inspect?.(temp);
    await fs.chmod(temp, request.mode);
    await fs.rename(temp, request.dest);
    return fetched;
  } finally {
    await fs.removeFile(temp);
  }
}

/**
 * Downloads to a temp path beside `near` and verifies it, for an archive that is unpacked and
 * then thrown away. Returns the temp path; the caller must remove it (`fs.removeFile`).
 */
export async function fetchVerifiedTemp(fs: InstallFs, downloader: Downloader, request: Omit<VerifiedFetch, 'dest' | 'mode' | 'sha256'> & { near: string; sha256: string }): Promise<string> {
  const temp = fs.tempPathBeside(request.near);
  try {
    const fetched = await downloader.fetch(request.from, temp, { onProgress: request.onProgress, signal: request.signal });
    if (fetched.sha256 !== request.sha256) throw mismatch({ ...request, dest: request.near }, fetched);
    return temp;
  } catch (error) {
    await fs.removeFile(temp);
    throw error;
  }
}

function mismatch(request: Pick<VerifiedFetch, 'name' | 'from' | 'dest'> & { sha256: string | null }, fetched: FetchResult): ChecksumMismatchError {
  return new ChecksumMismatchError({
    code: 'CHECKSUM_MISMATCH',
    summary: `the ${request.name} does not match its pinned sha256; nothing was installed and ${request.dest} was left as it was`,
    attempted: `download ${describeLocation(request.from)}`,
    reason: `expected sha256 ${request.sha256}, got ${fetched.sha256} (${fetched.bytes} bytes)`,
    hint: 'Do not install it. Check the mirror or proxy serving the file, compare it with the upstream release page, and download again.',
  });
}
