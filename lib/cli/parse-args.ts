import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's arguments strictly; an unknown or malformed option is a UsageError with the usage text. */
export function parseCommandArgs<T extends Options>(args: readonly string[], options: T, usage: string, allowPositionals = false) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError({ code: 'USAGE', summary: (error as Error).message, hint: `usage: ${usage}` });
  }
}

/** The longest timeout Node's timers keep (2^31 - 1 ms); a longer one would fire after 1 ms. */
export const MAX_TIMEOUT_SECONDS = 2_147_483;

/**
 * Parses a positive number of seconds given on the command line (e.g. --timeout 30, --timeout 0.5):
 * decimal digits with an optional fraction, from 1 ms to MAX_TIMEOUT_SECONDS. Hex, exponents,
 * blanks and the empty string are refused rather than read the way Number() would.
 */
export function parseSeconds(value: string | undefined, option: string, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds * 1000 >= 1) || seconds > MAX_TIMEOUT_SECONDS) {
    throw new UsageError({
      code: 'USAGE',
      summary: `${option} must be a positive number of seconds (digits, optionally with a fraction) from 0.001 to ${MAX_TIMEOUT_SECONDS}, got ${JSON.stringify(value)}`,
      hint: `usage: ${usage}`,
    });
  }
  return seconds;
}
