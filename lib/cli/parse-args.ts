import { UsageError } from '../errors.ts';
import { ValueRejected, parseSecondsText } from '../config/variables.ts';

/** The longest timeout Node's timers keep (2^31 - 1 ms); a longer one would fire after 1 ms. */
export const MAX_TIMEOUT_SECONDS = 2_147_483;

/**
 * Parses a positive number of seconds given on the command line (e.g. --timeout 30, --timeout 0.5)
 * by the one rule for seconds (lib/config/variables.ts parseSecondsText), up to MAX_TIMEOUT_SECONDS.
 * Hex, exponents, blanks and the empty string are refused rather than read the way Number() would.
 * `hint` says where the help is (e.g. "see `octolab-verify netd --help`").
 */
export function parseSeconds(value: string | undefined, option: string, hint: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseSecondsText(value, MAX_TIMEOUT_SECONDS);
  } catch (error) {
    if (!(error instanceof ValueRejected)) throw error;
    throw new UsageError({ code: 'USAGE', summary: `${option} must be ${error.message}, got ${JSON.stringify(value)}`, hint });
  }
}
