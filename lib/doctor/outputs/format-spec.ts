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

/** What `--format` does, for the doctor's option table (its help and docs). */
export const FORMAT_DESCRIPTION =
  'Render the report as NAME on stdout, or atomically into FILE (checked before the doctor runs); repeat it for several at once, at most one on stdout. ' +
  'NAME: text, json, junit, prometheus (node_exporter textfile), nagios (check-plugin status line with perfdata), tap, npd (node-problem-detector custom-plugin answer). ' +
  'The format on stdout decides the exit code: nagios 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; npd 0 ready, 1 not ready, 3 the doctor could not run; any other format, or none, the doctor\'s own.';

function isFormat(name: string): name is Format {
  return (FORMATS as readonly string[]).includes(name);
}

/** A usage error with `hint` (where the help is: see `octolab-verify doctor --help`). */
function usageError(summary: string, hint: string): UsageError {
  return new UsageError({ code: 'USAGE', summary, hint });
}

/** Parses one `--format` value: `NAME` or `NAME:-` (stdout), `NAME:FILE` (a file). */
export function parseFormatSpec(value: string, hint: string): OutputSpec {
  const colon = value.indexOf(':');
  const name = (colon < 0 ? value : value.slice(0, colon)).trim().toLowerCase();
  const file = colon < 0 ? null : value.slice(colon + 1);
  if (!isFormat(name)) throw usageError(`--format ${JSON.stringify(value)}: unknown format ${JSON.stringify(name)}; use one of ${FORMATS.join(', ')}`, hint);
  if (file !== null && file.trim() === '') throw usageError(`--format ${JSON.stringify(value)}: no file after the colon; give NAME:FILE, or NAME alone for stdout`, hint);
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
export function planOutputs(request: OutputRequest, hint: string): OutputSpec[] {
  const outputs = request.formats.map((value) => parseFormatSpec(value, hint));
  if (request.json) outputs.push({ format: 'json', file: null });
  if (outputs.length === 0) outputs.push({ format: 'text', file: null });
  if (request.junit !== undefined) {
    if (request.junit.trim() === '') throw usageError('--junit needs a file path, got an empty string', hint);
    outputs.push({ format: 'junit', file: request.junit });
  }
  const onStdout = outputs.filter((o) => o.file === null);
  if (onStdout.length > 1) {
    const names = onStdout.map((o) => o.format).join(' and ');
    throw usageError(`only one format can go to stdout, got ${names}: send the others to files (e.g. --format ${onStdout[1]!.format}:FILE)`, hint);
  }
  const seen = new Set<string>();
  for (const output of outputs) {
    if (output.file === null) continue;
    if (seen.has(output.file)) throw usageError(`${output.file} is named by two outputs: give each format its own file`, hint);
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
