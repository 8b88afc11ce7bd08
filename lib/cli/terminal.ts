import type { CliIo } from './io.ts';

/** True when the text may carry colour: a TTY, NO_COLOR unset or empty, and not a dumb terminal. */
export function shouldColour(io: Pick<CliIo, 'stdout' | 'env'>): boolean {
  return Boolean(io.stdout.isTTY) && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
}

/** Width when nothing says otherwise (a pipe, a CI log): long enough for a path, short enough to read. */
export const DEFAULT_TEXT_WIDTH = 100;

/** The width to wrap text for: the terminal's, else COLUMNS (40 to 1000), else DEFAULT_TEXT_WIDTH. */
export function textWidth(io: Pick<CliIo, 'stdout' | 'env'>): number {
  const columns = (io.stdout as { columns?: number }).columns;
  if (io.stdout.isTTY && typeof columns === 'number' && columns >= 40) return columns;
  const fromEnv = /^\d{2,4}$/.test(io.env.COLUMNS ?? '') ? Number(io.env.COLUMNS) : Number.NaN;
  return fromEnv >= 40 && fromEnv <= 1000 ? fromEnv : DEFAULT_TEXT_WIDTH;
}
