/**
 * Every command's options as data: one table per command, each row with the flag's name, its value
 * placeholder and what it does. The parser, the help texts and the documentation test all read
 * these tables, so a flag cannot exist without a description (or be documented without existing).
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';

/** One flag of a command. */
export interface OptionSpec {
  /** The long name without its dashes (`junit` for `--junit`). */
  name: string;
  type: 'boolean' | 'string';
  /** The value's placeholder in help texts (`FILE`, `DIR`, `SECONDS`); string options only. */
  value?: string;
  /** May be given more than once (the values are collected in order). */
  multiple?: boolean;
  /** What the flag does, its default and where the default comes from; one or more sentences. */
  description: string;
  /** Other spellings accepted for the same flag (kept for compatibility; see `aliasNote`). */
  aliases?: readonly string[];
  /** Only these subcommands take it (netd: serve-only flags). */
  subcommands?: readonly string[];
}

/** A command's help and options as data. */
export interface CommandSpec {
  /** `doctor`, `netd`, `image build`… as typed after `octolab-verify`. */
  name: string;
  /** One line, shown in the command list and under the usage line. */
  summary: string;
  /** Synopses, each without the leading `octolab-verify `. */
  synopsis: readonly string[];
  /** Paragraphs explaining what the command does (plain text; wrapped when shown). */
  description: readonly string[];
  options: readonly OptionSpec[];
  /** The exit codes this command can end with (each explained by lib/cli/exit-codes.ts). */
  exitCodes: readonly number[];
  /** What a code means for this command, where the table's general meaning says too little. */
  exitNotes?: Readonly<Partial<Record<number, string>>>;
  /** Positional arguments are allowed (netd's subcommand and LAB_ID, image's `build`). */
  positionals?: boolean;
}

/** The option every command shares: where its settings come from besides the environment. */
export const DOTENV_OPTION: OptionSpec = {
  name: 'dotenv',
  type: 'string',
  value: 'PATH',
  aliases: ['env-file'],
  description:
    'Read settings from the env file PATH instead of OCTOLAB_ENV_FILE or backend/.env.local (the environment still wins). ' +
    '--env-file is the old name: Node 20 itself takes --env-file anywhere on its command line, so it only reaches ' +
    'octolab-verify through the launcher (bin/octolab-verify.cjs, or octolab-verify on PATH).',
};

/** The values parsed for a table: string options are strings (arrays when multiple), booleans true. */
export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

/** Returns the usage error every bad command line ends in: one line, plus where the help is. */
export function usageError(command: string, summary: string): UsageError {
  return new UsageError({ code: 'USAGE', summary, hint: `see \`octolab-verify ${command} --help\`` });
}

/**
 * Parses `args` strictly against a command's table: an unknown option or a missing value is a
 * one-line UsageError; an alias fills its main name; of a flag given twice, the last one wins.
 */
export function parseOptions(spec: CommandSpec, args: readonly string[]): { values: ParsedValues; positionals: string[] } {
  const config: Record<string, { type: 'boolean' | 'string'; multiple?: boolean }> = {};
  for (const option of spec.options) {
    for (const name of [option.name, ...(option.aliases ?? [])]) config[name] = option.multiple ? { type: option.type, multiple: true } : { type: option.type };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: config, strict: true, allowPositionals: spec.positionals === true, tokens: true });
  } catch (error) {
    // Only the parser's verdicts on the arguments are usage errors; anything else is a bug in the table.
    if (!String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_')) throw error;
    throw usageError(spec.name, describeParseError(error as Error));
  }
  const values: ParsedValues = {};
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const option = spec.options.find((o) => o.name === token.name || o.aliases?.includes(token.name))!;
    if (option.type === 'string' && token.value === undefined) throw usageError(spec.name, `--${token.name} needs a value (${option.value ?? 'VALUE'})`);
    const value = option.type === 'boolean' ? true : token.value!;
    if (option.multiple) {
      values[option.name] = [...((values[option.name] as string[] | undefined) ?? []), value as string];
    } else {
      // Given twice: the last one wins, as in most CLIs (a wrapper's default, then the user's choice).
      values[option.name] = value;
    }
  }
  return { values, positionals: parsed.positionals };
}

/** Rewords node:util's parse errors as one line that names the option. */
function describeParseError(error: Error): string {
  const message = error.message.split('\n')[0] ?? String(error);
  const unknown = /^Unknown option '([^']*)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /^Option '(?:-\w, )?(--[^ ]+) <value>' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  const ambiguous = /^Option '(--[^']+)' argument is ambiguous/.exec(message);
  if (ambiguous) return `${ambiguous[1]} needs a value, but the next argument is an option (to pass a value that starts with a dash, write ${ambiguous[1]}=-VALUE)`;
  const positional = /^Unexpected argument '([^']*)'/.exec(message);
  if (positional) return `unexpected argument ${JSON.stringify(positional[1])}`;
  const boolean = /^Option '(--[^']+)' does not take an argument/.exec(message);
  if (boolean) return `${boolean[1]} takes no value`;
  return message.replace(/\. To specify .*$/, '');
}

/** Returns a string option's value; throws when a table bug made it something else. */
export function stringValue(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Returns a boolean option's value (false when absent). */
export function flag(values: ParsedValues, name: string): boolean {
  return values[name] === true;
}
