import { ConfigError } from '../errors.ts';

/** One KEY=VALUE assignment read from an env file, with where it came from. */
export interface EnvFileEntry {
  key: string;
  value: string;
  file: string;
  line: number;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An env file read leniently: what could be read, and one problem per line that could not. */
export interface EnvFileRead {
  entries: EnvFileEntry[];
  /** Each malformed line as a ConfigError naming file:line (the line was ignored). */
  problems: ConfigError[];
}

/**
 * Parses dotenv text as the backend and the seed's scripts write it: `KEY=VALUE`, optional
 * `export `, `#` comments, single quotes (literal), double quotes (\n, \", \\ escapes).
 * A malformed line is reported (file:line) and skipped; the other lines still count; later
 * assignments win.
 */
export function readEnvText(text: string, file: string): EnvFileRead {
  const entries: EnvFileEntry[] = [];
  const problems: ConfigError[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    const trimmed = (lines[index] ?? '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const body = trimmed.startsWith('export ') ? trimmed.slice(7).trimStart() : trimmed;
    const eq = body.indexOf('=');
    const key = eq > 0 ? body.slice(0, eq).trim() : '';
    if (!KEY.test(key)) {
      problems.push(
        new ConfigError({
          code: 'CONFIG_INVALID',
          summary: `${file}:${lineNo}: expected KEY=VALUE, got ${JSON.stringify(truncate(trimmed))}`,
          hint: `Fix or remove line ${lineNo} of ${file}; keys are letters, digits and underscores.`,
        }),
      );
      continue;
    }
    try {
      entries.push({ key, value: parseValue(body.slice(eq + 1), file, lineNo, key), file, line: lineNo });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error);
    }
  }
  return { entries, problems };
}

/** Parses dotenv text strictly: the first malformed line is a ConfigError naming file:line. */
export function parseEnvFile(text: string, file: string): EnvFileEntry[] {
  const read = readEnvText(text, file);
  if (read.problems[0]) throw read.problems[0];
  return read.entries;
}

function parseValue(rest: string, file: string, line: number, key: string): string {
  const value = rest.trim();
  const quote = value[0];
  if (quote !== '"' && quote !== "'") {
    // Unquoted: an inline comment starts at whitespace followed by '#'.
    return value.replace(/\s+#.*$/, '');
  }
  let out = '';
  for (let i = 1; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === quote) {
      const after = value.slice(i + 1).trim();
      if (after !== '' && !after.startsWith('#')) {
        throw unterminated(file, line, key, `unexpected text after the closing quote: ${JSON.stringify(truncate(after))}`);
      }
      return out;
    }
    if (quote === '"' && ch === '\\' && i + 1 < value.length) {
      const next = value[++i]!;
      out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
      continue;
    }
    out += ch;
  }
  throw unterminated(file, line, key, `the value opens with ${quote} but never closes it`);
}

function unterminated(file: string, line: number, key: string, why: string): ConfigError {
  return new ConfigError({
    code: 'CONFIG_INVALID',
    summary: `${file}:${line}: ${key}: ${why}`,
    hint: `Close the quote on line ${line} of ${file} (values cannot span lines), or remove the quotes.`,
  });
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
