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

/** Parses a positive number of seconds given on the command line (e.g. --timeout 30). */
export function parseSeconds(value: string | undefined, option: string, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError({ code: 'USAGE', summary: `${option} must be a positive number of seconds, got ${JSON.stringify(value)}`, hint: `usage: ${usage}` });
  }
  return seconds;
}
