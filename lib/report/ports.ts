/** What a path given to `report` turned out to be. */
export type InputKind = 'file' | 'directory' | 'other' | 'missing';

/**
 * How the fleet report reads its inputs (report files and the directories holding them); the real
 * one is lib/host/report-inputs.ts, tests may pass their own.
 */
export interface ReportFiles {
  /** What `path` is (following symlinks); `missing` when nothing is there. Other errors throw. */
  kind(path: string): Promise<InputKind>;
  /** The names in a directory, sorted. Throws HostError. */
  list(dir: string): Promise<string[]>;
  /** A file's text; a file larger than `maxBytes` throws. Throws HostError. */
  read(path: string, maxBytes: number): Promise<string>;
}
