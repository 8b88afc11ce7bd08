import { UsageError } from '../../errors.ts';

/** Every rendering of the doctor report that `--format` can ask for. */
export const FORMATS = ['text', 'json', 'junit', 'prometheus', 'nagios', 'tap', 'npd'] as const;
/** One of the doctor's output formats. */
export type Format = (typeof FORMATS)[number];

/** One output: a format and where it goes (`stdout`, or a file path as given, relative to the cwd). */
export interface OutputSpec {
  format: Format;
  /** `null` for stdout, else the file path as the user gave it. */
  file: string | null;
}

/** The `--format` lines of the doctor's usage text. */
export const FORMAT_USAGE = `  --format NAME[:FILE]
                   render the report as NAME on stdout, or atomically into FILE; repeat it for
                   several at once (at most one on stdout). NAME: text, json, junit, prometheus
                   (node_exporter textfile), nagios (check-plugin status line with perfdata),
                   tap, npd (node-problem-detector custom-plugin answer)
  The format on stdout decides the exit code: nagios 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN;
  npd 0 ready, 1 not ready, 3 the doctor could not run; any other format, or none, as below.`;

function isFormat(name: string): name is Format {
  return (FORMATS as readonly string[]).includes(name);
}

function usageError(summary: string, usage: string): UsageError {
  return new UsageError({ code: 'USAGE', summary, hint: `usage: ${usage}` });
}

/** Parses one `--format` value: `NAME` or `NAME:-` (stdout), `NAME:FILE` (a file). */
export function parseFormatSpec(value: string, usage: string): OutputSpec {
  const colon = value.indexOf(':');
  const name = (colon < 0 ? value : value.slice(0, colon)).trim().toLowerCase();
  const file = colon < 0 ? null : value.slice(colon + 1);
  if (!isFormat(name)) throw usageError(`--format ${JSON.stringify(value)}: unknown format ${JSON.stringify(name)}; use one of ${FORMATS.join(', ')}`, usage);
  if (file === '') throw usageError(`--format ${JSON.stringify(value)}: no file after the colon; give NAME:FILE, or NAME alone for stdout`, usage);
  return { format: name, file: file === null || file === '-' ? null : file };
}

/** What the doctor's options ask for: `--format` values, plus the older `--json` and `--junit FILE`. */
export interface OutputRequest {
  formats: readonly string[];
  json?: boolean;
  junit?: string;
}

/**
 * Returns the outputs to produce, in the order asked. Without --format the older flags decide, as
 * before: JSON (--json) or text on stdout, plus JUnit into --junit's file. With --format, exactly
 * what was asked (plus --json on stdout and --junit's file). At most one output may use stdout,
 * and no file may be named twice; either mistake is a UsageError naming both.
 */
export function planOutputs(request: OutputRequest, usage: string): OutputSpec[] {
  const outputs = request.formats.map((value) => parseFormatSpec(value, usage));
  if (request.json) outputs.push({ format: 'json', file: null });
  if (outputs.length === 0) outputs.push({ format: 'text', file: null });
  if (request.junit !== undefined) {
    if (request.junit === '') throw usageError('--junit needs a file name', usage);
    outputs.push({ format: 'junit', file: request.junit });
  }
  const onStdout = outputs.filter((o) => o.file === null);
  if (onStdout.length > 1) {
    const names = onStdout.map((o) => o.format).join(' and ');
    throw usageError(`only one format can go to stdout, got ${names}: send the others to files (e.g. --format ${onStdout[1]!.format}:FILE)`, usage);
  }
  const seen = new Set<string>();
  for (const output of outputs) {
    if (output.file === null) continue;
    if (seen.has(output.file)) throw usageError(`${output.file} is named by two outputs: give each format its own file`, usage);
    seen.add(output.file);
  }
  return outputs;
}

/** Returns the format that writes to stdout, which decides the exit codes; null when none does. */
export function stdoutFormat(outputs: readonly OutputSpec[]): Format | null {
  return outputs.find((o) => o.file === null)?.format ?? null;
}

/**
 * Finds, before the arguments are parsed, which format a command line sends to stdout (so that
 * even a bad option is answered in that format's terms); null when none is asked or it is unclear.
 */
export function peekStdoutFormat(args: readonly string[]): Format | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    const value = arg === '--format' ? args[i + 1] : arg.startsWith('--format=') ? arg.slice('--format='.length) : undefined;
    if (value === undefined) continue;
    const colon = value.indexOf(':');
    const name = (colon < 0 ? value : value.slice(0, colon)).trim().toLowerCase();
    const file = colon < 0 ? null : value.slice(colon + 1);
    if (isFormat(name) && (file === null || file === '-')) return name;
  }
  return null;
}
