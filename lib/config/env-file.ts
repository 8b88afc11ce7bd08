import { ConfigError } from '../errors.ts';

/** One KEY=VALUE assignment read from an env file, with where it came from. */
export interface EnvFileEntry {
  key: string;
  value: string;
  file: string;
  line: number;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses dotenv text as the backend and the seed's scripts write it: `KEY=VALUE`, optional
 * `export `, `#` comments, single quotes (literal), double quotes (\n, \", \\ escapes).
 * A malformed line is a ConfigError naming the file and line; later assignments win.
 */
export function parseEnvFile(text: string, file: string): EnvFileEntry[] {
  const entries: EnvFileEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    const raw = lines[index] ?? '';
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const body = trimmed.startsWith('export ') ? trimmed.slice(7).trimStart() : trimmed;
    const eq = body.indexOf('=');
    const key = eq > 0 ? body.slice(0, eq).trim() : '';
    if (!KEY.test(key)) {
      throw new ConfigError({
        code: 'CONFIG_INVALID',
        summary: `${file}:${lineNo}: expected KEY=VALUE, got ${JSON.stringify(truncate(trimmed))}`,
        hint: `Fix or remove line ${lineNo} of ${file}; keys are letters, digits and underscores.`,
      });
    }
    entries.push({ key, value: parseValue(body.slice(eq + 1), file, lineNo, key), file, line: lineNo });
  }
  return entries;
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
