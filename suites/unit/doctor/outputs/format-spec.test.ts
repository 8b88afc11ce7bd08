import { describe, expect, it } from 'vitest';
import { parseFormatSpec, peekStdoutFormat, planOutputs } from '../../../../lib/doctor/outputs/format-spec.ts';
import { UsageError } from '../../../../lib/errors.ts';

const USAGE = 'octolab-verify doctor [--format NAME[:FILE]]';

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).summary;
  }
  throw new Error('no UsageError was thrown');
}

describe('--format NAME[:FILE]', () => {
  it.each([
    ['prometheus', { format: 'prometheus', file: null }],
    ['nagios:-', { format: 'nagios', file: null }],
    ['JSON:out/doctor.json', { format: 'json', file: 'out/doctor.json' }],
    ['prometheus:/var/lib/node_exporter/textfile/octolab.prom', { format: 'prometheus', file: '/var/lib/node_exporter/textfile/octolab.prom' }],
    ['junit:c:/odd:name.xml', { format: 'junit', file: 'c:/odd:name.xml' }],
  ])('reads %j', (value, spec) => {
    expect(parseFormatSpec(value, USAGE)).toEqual(spec);
  });

  it('names an unknown format and lists the known ones', () => {
    expect(usageMessage(() => parseFormatSpec('html:x.html', USAGE))).toBe('--format "html:x.html": unknown format "html"; use one of text, json, junit, prometheus, nagios, tap, npd');
  });

  it('refuses a colon with no file after it', () => {
    expect(usageMessage(() => parseFormatSpec('json:', USAGE))).toMatch(/no file after the colon; give NAME:FILE, or NAME alone for stdout/);
  });
});

describe('planning the outputs', () => {
  it('keeps the older flags working: text by default, --json on stdout, --junit into its file', () => {
    expect(planOutputs({ formats: [] }, USAGE)).toEqual([{ format: 'text', file: null }]);
    expect(planOutputs({ formats: [], json: true, junit: 'r/j.xml' }, USAGE)).toEqual([
      { format: 'json', file: null },
      { format: 'junit', file: 'r/j.xml' },
    ]);
  });

  it('with --format, writes exactly what was asked, in order, and nothing else to stdout', () => {
    expect(planOutputs({ formats: ['prometheus:a.prom', 'tap:b.tap'] }, USAGE)).toEqual([
      { format: 'prometheus', file: 'a.prom' },
      { format: 'tap', file: 'b.tap' },
    ]);
  });

  it('refuses two outputs on stdout, naming both and the fix', () => {
    expect(usageMessage(() => planOutputs({ formats: ['nagios', 'text'] }, USAGE))).toBe('only one format can go to stdout, got nagios and text: send the others to files (e.g. --format text:FILE)');
    expect(usageMessage(() => planOutputs({ formats: ['text'], json: true }, USAGE))).toMatch(/got text and json/);
  });

  it('refuses one file named by two outputs', () => {
    expect(usageMessage(() => planOutputs({ formats: ['json:r.out'], junit: 'r.out' }, USAGE))).toBe('r.out is named by two outputs: give each format its own file');
  });
});

describe('finding the stdout format before parsing', () => {
  it.each([
    [['--format', 'nagios', '--bogus'], 'nagios'],
    [['--format=npd:-'], 'npd'],
    [['--format', 'prometheus:x.prom', '--format', 'nagios'], 'nagios'],
    [['--format', 'nagios:n.txt'], null],
    [['--', '--format', 'nagios'], null],
    [['--json'], null],
  ])('%j → %s', (args, format) => {
    expect(peekStdoutFormat(args)).toBe(format);
  });
});
