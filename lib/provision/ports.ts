/**
 * What lib/provision asks of the OS, as interfaces. lib/host implements them
 * (install-fs.ts, download.ts, tar-extract.ts, process-table.ts); tests pass fakes from fixtures/.
 * Provisioning logic never imports node:fs or spawns anything itself.
 */
import type { FileKind } from '../host/types.ts';

/** One lstat(2) answer, with the modification time the cleanup's age rule needs. */
export interface InstallStat {
  path: string;
  name: string;
  kind: FileKind;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
}

/** Options of an atomic write. */
export interface AtomicWriteOptions {
  mode: number;
  /** Owner to give the file before it is renamed into place (only applied when running as root). */
  uid?: number;
  gid?: number;
}

/** The file operations setup, rollback and cleanup make. Errors are HostErrors carrying the errno. */
export interface InstallFs {
  /** lstat, or null when the path does not exist. */
  lstat(target: string): Promise<InstallStat | null>;
  /** The sha256 (hex) of a regular file, or null when it does not exist. */
  sha256(file: string): Promise<string | null>;
  /** Up to `length` bytes from the start of a file. */
  readHead(file: string, length: number): Promise<Buffer>;
  /** A file's text, or null when it does not exist. */
  readText(file: string): Promise<string | null>;
  /** The entries of a directory (lstat of each), or null when it does not exist. */
  listDir(dir: string): Promise<InstallStat[] | null>;
  /** realpath(3); throws when the path does not exist. */
  realpath(target: string): Promise<string>;
  /** mkdir -p with `mode` for the directories it creates; returns the created ones, outermost first. */
  mkdirp(dir: string, mode: number): Promise<string[]>;
  /** A fresh unused path beside `file` (same directory, so rename is atomic). */
  tempPathBeside(file: string): string;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file, socket or symlink; a missing one is fine. Returns true when something was removed. */
  removeFile(target: string): Promise<boolean>;
  /** Removes a directory tree without following symlinks; a missing one is fine. Returns true when removed. */
  removeTree(target: string): Promise<boolean>;
  chmod(target: string, mode: number): Promise<void>;
  chown(target: string, uid: number, gid: number): Promise<void>;
  /** The target a symlink points to (readlink(2)), or null when `link` does not exist or is not a symlink. */
  readLink(link: string): Promise<string | null>;
  /** Points `link` at `target`: a new symlink beside it, renamed over it (so an old link is replaced at once). */
  replaceSymlink(target: string, link: string): Promise<void>;
  /** Writes a temp file beside `file` (mode, owner), then renames it over `file`. */
  writeFileAtomic(file: string, data: string | Buffer, options: AtomicWriteOptions): Promise<void>;
}

/** Where an artifact is fetched from: a URL (http/https) or a file in a mirror directory. */
export type ArtifactLocation = { kind: 'url'; url: string } | { kind: 'file'; path: string };

/** Called as bytes arrive; `total` is null when the server sent no Content-Length. */
export type ProgressCallback = (received: number, total: number | null) => void;

/** Options of one fetch. */
export interface FetchOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Gives up when no byte arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
}

/** What was fetched: how many bytes and their sha256, computed while streaming. */
export interface FetchResult {
  bytes: number;
  sha256: string;
}

/** Fetches one artifact into a new file (created exclusively); a failure removes the partial file. */
export interface Downloader {
  /** Throws DownloadError (status, network error, cut body, missing mirror file). */
  fetch(from: ArtifactLocation, to: string, options?: FetchOptions): Promise<FetchResult>;
}

/** One member extracted from a tarball. */
export interface ExtractedMember {
  member: string;
  path: string;
  bytes: number;
  sha256: string;
}

/** Extracts named members of a .tgz into chosen paths (never paths taken from the archive). */
export interface TarExtractor {
  /**
   * Writes each wanted member (a regular file, by its exact name in the archive) to the path it
   * maps to, created exclusively with mode 0700. Throws TarballError when one is missing or not a
   * regular file, or the archive is malformed; files written before the failure are removed.
   */
  extract(tarball: string, wanted: Readonly<Record<string, string>>): Promise<ExtractedMember[]>;
}

/** One process as /proc shows it. */
export interface ProcessEntry {
  pid: number;
  /** The argument vector (/proc/<pid>/cmdline split at NUL). */
  argv: string[];
  /** When it started (epoch ms), or null when it could not be read. */
  startedAtMs: number | null;
}

/** The process table: read, and signal one process by pid. */
export interface ProcessTable {
  /** Every live process (zombies excluded) whose cmdline could be read. */
  list(): Promise<ProcessEntry[]>;
  /** One process, or null when it is gone (or a zombie). */
  read(pid: number): Promise<ProcessEntry | null>;
  /** Sends a signal; returns false when the process was already gone (ESRCH). */
  signal(pid: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<boolean>;
}
