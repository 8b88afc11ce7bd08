/**
 * The configuration block setup keeps in backend/.env.local. It is written between
 * `### BEGIN OCTOLAB MICROVM ###` and `### END OCTOLAB MICROVM ###`; an earlier block in that form
 * or in upstream's `# BEGIN OCTOLAB_MICROVM` / `# END OCTOLAB_MICROVM` form is replaced, and every
 * other line is kept byte for byte (line endings included). Pure text in, text out.
 */
import { EnvBlockError } from './errors.ts';

/** The markers this project writes. */
export const BLOCK_BEGIN = '### BEGIN OCTOLAB MICROVM ###';
export const BLOCK_END = '### END OCTOLAB MICROVM ###';
/** The markers upstream's setup script and octolabctl write (also recognised when removing). */
export const UPSTREAM_BEGIN = '# BEGIN OCTOLAB_MICROVM';
export const UPSTREAM_END = '# END OCTOLAB_MICROVM';

/** Which marker form a block used. */
export type MarkerForm = 'seed' | 'upstream';

/** One block found (and removed), with 1-based line numbers. */
export interface FoundBlock {
  form: MarkerForm;
  beginLine: number;
  endLine: number;
}

/** The text after an edit, plus what was removed. */
export interface BlockEdit {
  text: string;
  removed: FoundBlock[];
  changed: boolean;
}

/** One line and the terminator it had ('' for a last line without one). */
interface Line {
  text: string;
  eol: string;
}

/** Splits text into lines, each keeping its own terminator, so kept lines are written back byte for byte. */
function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const pattern = /([^\r\n]*)(\r\n|\n|\r(?!\n)|$)/g;
  for (const match of text.matchAll(pattern)) {
    if (match[0] === '' && match.index === text.length) break;
    lines.push({ text: match[1] ?? '', eol: match[2] ?? '' });
  }
  return lines;
}

/** The line ending new lines get: CRLF when most lines use it, else LF. */
function dominantEol(lines: readonly Line[]): string {
  const crlf = lines.filter((line) => line.eol === '\r\n').length;
  return crlf > 0 && crlf * 2 >= lines.filter((line) => line.eol !== '').length ? '\r\n' : '\n';
}

function joinLines(lines: readonly Line[]): string {
  return lines.map((line) => line.text + line.eol).join('');
}

/** Appends lines after `kept`, first giving the last kept line a terminator if it had none. */
function appendLines(kept: Line[], texts: readonly string[], eol: string): Line[] {
  const out = kept.map((line, index) => (index === kept.length - 1 && line.eol === '' ? { ...line, eol } : line));
  for (const text of texts) out.push({ text, eol });
  return out;
}

function beginForm(line: string): MarkerForm | null {
  const trimmed = line.trim();
  if (trimmed === BLOCK_BEGIN) return 'seed';
  return trimmed.includes(UPSTREAM_BEGIN) ? 'upstream' : null;
}

function isEnd(line: string, form: MarkerForm): boolean {
  const trimmed = line.trim();
  return form === 'seed' ? trimmed === BLOCK_END : trimmed.includes(UPSTREAM_END);
}

function isAnyEnd(line: string): boolean {
  return isEnd(line, 'seed') || isEnd(line, 'upstream');
}

/**
 * Removes every managed block (both marker forms). A begin marker without its end, an end marker
 * without a begin, or a block opened inside another is refused with the line number: guessing
 * where such a block ends could delete the operator's own settings.
 */
export function removeEnvBlocks(text: string, file = '.env.local'): BlockEdit {
  const lines = splitLines(text);
  const kept: Line[] = [];
  const removed: FoundBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const form = beginForm(line.text);
    if (form === null) {
      if (isAnyEnd(line.text)) throw markerError(file, i + 1, `an end marker without a begin marker: ${JSON.stringify(line.text.trim())}`);
      kept.push(line);
      continue;
    }
    let end = i + 1;
    for (; end < lines.length; end++) {
      const inner = lines[end]!.text;
      if (isEnd(inner, form)) break;
      if (beginForm(inner) !== null) throw markerError(file, end + 1, `a begin marker inside the block opened on line ${i + 1}`);
      if (isAnyEnd(inner)) throw markerError(file, end + 1, `the block opened on line ${i + 1} is closed by the other marker form`);
    }
    if (end >= lines.length) throw markerError(file, i + 1, `the block opened here (${JSON.stringify(line.text.trim())}) has no end marker`);
    removed.push({ form, beginLine: i + 1, endLine: end + 1 });
    i = end;
  }
  return { text: joinLines(kept), removed, changed: removed.length > 0 };
}

/**
 * Replaces the managed block(s) with one block holding `entries`, appended at the end after a
 * blank line (none is added when the kept text already ends with one, so reruns are stable).
 */
export function replaceEnvBlock(text: string, entries: ReadonlyArray<readonly [string, string]>, file = '.env.local', comment?: string): BlockEdit {
  const eol = dominantEol(splitLines(text));
  const without = removeEnvBlocks(text, file);
  const kept = splitLines(without.text);
  const block = [BLOCK_BEGIN, ...(comment ? [`# ${comment}`] : []), ...entries.map(([key, value]) => `${key}=${formatEnvValue(value)}`), BLOCK_END];
  const separator = kept.length > 0 && kept.at(-1)!.text.trim() !== '' ? [''] : [];
  const next = joinLines(appendLines(kept, [...separator, ...block], eol));
  return { text: next, removed: without.removed, changed: next !== text };
}

const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*)=/;

/**
 * Sets `key=value` outside any block: rewrites every existing assignment of `key` (keeping an
 * `export ` prefix), or appends one line when there is none. Other lines are kept as they are.
 */
export function setEnvValue(text: string, key: string, value: string): BlockEdit {
  const lines = splitLines(text);
  let found = false;
  const rewritten = lines.map((line) => {
    const match = ASSIGNMENT.exec(line.text);
    if (!match || match[2] !== key) return line;
    found = true;
    return { ...line, text: `${match[1]}${key}=${formatEnvValue(value)}` };
  });
  const next = joinLines(found ? rewritten : appendLines(rewritten, [`${key}=${formatEnvValue(value)}`], dominantEol(lines)));
  return { text: next, removed: [], changed: next !== text };
}

/** Formats a value so the backend's dotenv parser (and lib/config) reads it back unchanged. */
export function formatEnvValue(value: string): string {
  if (/[\r\n\0]/.test(value)) throw new RangeError(`an env value cannot hold a line break or NUL: ${JSON.stringify(value)}`);
  if (/^[A-Za-z0-9_./:@%+,=-]*$/.test(value)) return value;
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function markerError(file: string, line: number, what: string): EnvBlockError {
  return new EnvBlockError({
    code: 'ENV_BLOCK_UNBALANCED',
    summary: `${file}:${line}: ${what}; the file was not changed`,
    hint: `Fix the markers by hand (a block runs from "${BLOCK_BEGIN}" to "${BLOCK_END}", or "${UPSTREAM_BEGIN}" to "${UPSTREAM_END}"), then run again.`,
  });
}
