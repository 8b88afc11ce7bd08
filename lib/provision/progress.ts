import type { ProgressCallback } from './ports.ts';

/** Renders a download progress line: `name  12.3 MiB / 40.0 MiB  31%` (no total: just the size). Pure. */
export function renderProgress(name: string, received: number, total: number | null): string {
  const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
  if (total === null || total === 0) return `  ${name}  ${mib(received)}`;
  const percent = Math.min(100, Math.floor((received / total) * 100));
  return `  ${name}  ${mib(received)} / ${mib(total)}  ${String(percent).padStart(3)}%`;
}

/** A writable stream that may be a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * Returns a progress callback for a terminal (redrawn in place, at most every `intervalMs`, with a
 * final line when done), or undefined when `stream` is not a TTY: logs in CI stay clean.
 */
export function createTtyProgress(stream: ProgressStream, name: string, now: () => number = Date.now, intervalMs = 100): ProgressCallback | undefined {
  if (!stream.isTTY) return undefined;
  let last = -Infinity;
  return (received, total) => {
    const finished = total !== null && received >= total;
    if (!finished && now() - last < intervalMs) return;
    last = now();
    stream.write(`\r\x1b[2K${renderProgress(name, received, total)}${finished ? '\n' : ''}`);
  };
}
