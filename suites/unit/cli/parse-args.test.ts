import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.ts';
import { MAX_TIMEOUT_SECONDS, parseSeconds } from '../../../lib/cli/parse-args.ts';

const parse = (value: string | undefined) => parseSeconds(value, '--timeout', 'see `octolab-verify x --help`');

describe('parseSeconds (--timeout, --request-timeout)', () => {
  it.each([
    ['30', 30],
    ['0.5', 0.5],
    ['0.001', 0.001],
    ['007', 7],
    [String(MAX_TIMEOUT_SECONDS), MAX_TIMEOUT_SECONDS],
  ])('reads %j as %d seconds', (value, seconds) => {
    expect(parse(value)).toBe(seconds);
  });

  it('leaves an absent option to the caller’s default', () => {
    expect(parse(undefined)).toBeUndefined();
  });

  it.each([
    ['', 'empty (Number("") is 0)'],
    [' 5 ', 'blanks around'],
    ['0x10', 'hex'],
    ['1e1', 'an exponent'],
    ['-1', 'negative'],
    ['0', 'zero'],
    ['0.0001', 'under a millisecond (would round to 0 ms)'],
    ['Infinity', 'not finite'],
    ['.5', 'no integer part'],
    ['3000000', 'beyond what a Node timer keeps (it would fire after 1 ms)'],
  ])('refuses %j (%s) with a usage error naming the option, the range and the value', (value) => {
    let caught: unknown;
    try {
      parse(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).summary).toBe(
      `--timeout must be a number of seconds from 0.001 to 2147483 (digits, optionally with a fraction, e.g. 90 or 2.5), got ${JSON.stringify(value)}`,
    );
    expect((caught as UsageError).hint).toBe('see `octolab-verify x --help`');
  });
});
