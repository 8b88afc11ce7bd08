/** How a rootfs was copied: a reflink (shared extents) or a block copy that skips zero blocks. */
export type CopyMethod = 'reflink' | 'sparse-copy';

/** A running tail of a growing file. */
export interface FileTail {
  /** Reads whatever has been written and not yet delivered; resolves when delivered. */
  drain(): Promise<void>;
  /** Stops watching and closes the file (after a pending read). */
  close(): Promise<void>;
}

/**
 * The file operations a boot makes in its lab directory. The pipeline receives them as one value
 * (`BootDeps.files`; the real one is `createRealLabFs()` in lib/host/vmm/real-lab-fs.ts) so a test
 * can replace a single operation, e.g. a copy that fails.
 */
export interface LabFs {
  /** mkdir with mode 0700; the parent must exist and the directory must not (EEXIST). A failure leaves no directory. */
  createDir(dir: string): Promise<void>;
  /** Creates an empty file, mode 0600, failing if it exists. */
  createEmptyFile(file: string): Promise<void>;
  /** Writes a temp file beside `file`, then renames it over `file`. */
  writeFileAtomic(file: string, text: string): Promise<void>;
  /**
   * Copies the base image (reflink or sparse copy); the base is only ever opened read-only. When
   * `signal` aborts mid-copy it stops, removes the partial target and rejects with the signal's reason.
   */
  copyRootfs(source: string, target: string, signal?: AbortSignal): Promise<CopyMethod>;
  /** Removes a file; a missing file is fine. */
  removeFile(file: string): Promise<void>;
  /** Removes a directory tree; a missing directory is fine. */
  removeDir(dir: string): Promise<void>;
  /** Resolves when the unix socket exists (directory events, no polling). */
  waitForSocket(socketPath: string, signal: AbortSignal): Promise<void>;
  /** Tails a growing file. */
  tail(file: string, onChunk: (bytes: Buffer) => void): Promise<FileTail>;
  /** The last `maxBytes` of a file, decoded; '' when it does not exist. */
  readTail(file: string, maxBytes: number): Promise<string>;
}
