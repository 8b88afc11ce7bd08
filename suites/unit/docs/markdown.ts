/**
 * Just enough Markdown for the documentation test: the code a page shows, its tables, its headings'
 * anchors and its relative links. Pure functions of the page's text.
 */

/** The code of a page: each fenced block's lines (a line ending in `\` joined with the next) and every `span` outside them. */
export function codeOf(text: string): string[] {
  const fenced = [...text.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].flatMap((m) => m[1]!.replace(/\\\n\s*/g, ' ').split('\n'));
  const spans = [...withoutFences(text).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!.replace(/\\\|/g, '|'));
  return [...fenced, ...spans];
}

/** The page without its fenced blocks (so that their contents are not read as prose, links or headings). */
export function withoutFences(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** The rows of the Markdown table that follows `heading`, each as its cells (`\|` unescaped). */
export function tableAfter(text: string, heading: string): string[][] {
  const start = text.indexOf(heading);
  if (start < 0) throw new Error(`no ${JSON.stringify(heading)} in the page`);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|')));
  }
  return rows;
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as dashes, repeats numbered. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const m of withoutFences(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Every inline link whose target is not a URL or a mail address: `[text](target)`. */
export function relativeLinksOf(text: string): string[] {
  return [...withoutFences(text).replace(/`[^`\n]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** One invocation of the CLI found in a page's code. */
export interface Invocation {
  /** The code line or span it was found in. */
  code: string;
  /** The command's name (`doctor`), or null for the bare CLI (`octolab-verify --help`). */
  command: string | null;
  /** The subcommand words given right after the command (`serve`; `hello|ping|list` as three). */
  subcommands: string[];
  /** Every `--flag` given to it (without the dashes), up to the end of this shell command. */
  flags: string[];
}

/**
 * The CLI's spellings in code: the launcher (`bin/octolab-verify.cjs`, with any path before it),
 * `octolab-verify` (also after `sudo`, `pnpm`, `pnpm -s`), and `pnpm verify` (the package script
 * that runs `octolab-verify verify`).
 */
const LAUNCHER = /(?<![\w.@-])(?:(?:[\w.~${}"-]*\/)*bin\/octolab-verify\.cjs|octolab-verify|(?<=\bpnpm\s+(?:-s\s+)?)verify)(?![\w.-])/g;

/** Where one shell command ends and the next (or a pipe, a redirection, a comment) begins. */
const COMMAND_END = /;|\s(?:\|\|?|&&|&|#)(?=\s|$)|\s\d?>/;

/** Every invocation of the CLI in `code` (one line or span). */
export function invocationsIn(code: string): Invocation[] {
  const found: Invocation[] = [];
  for (const m of code.matchAll(LAUNCHER)) {
    const implied = m[0] === 'verify' ? 'verify ' : '';
    const rest = `${implied}${code.slice(m.index! + m[0].length).replace(/^\s+/, '')}`;
    // The CLI's own messages (`octolab-verify doctor: …`, `octolab-verify: …`) and output
    // (`octolab-verify 0.2.0`) start otherwise than with a separating space and a word or flag.
    if (!implied && !/^\s/.test(code.slice(m.index! + m[0].length))) continue;
    const words = rest.split(COMMAND_END)[0]!.trim().split(/\s+/).filter(Boolean);
    const flags = words.flatMap((w) => [...w.matchAll(/(?:^|[[(|])--([a-z][a-z0-9-]*)/g)].map((f) => f[1]!));
    const first = words[0] ?? '';
    if (/^--?[a-zA-Z]/.test(first)) {
      // Only the leading flags: what follows them is output or another program's (`--help  98.5 ms … node -e 0`).
      const end = words.findIndex((w) => !w.startsWith('-'));
      const leading = end < 0 ? words : words.slice(0, end);
      found.push({ code, command: null, subcommands: [], flags: leading.map((w) => w.replace(/^-+/, '').replace(/=.*$/, '')) });
    } else if (/^[a-z][a-z-]*:?$/.test(first)) {
      const subcommand = /^[a-z][a-z|]*$/.test(words[1] ?? '') && !first.endsWith(':') ? words[1]!.split('|') : [];
      found.push({ code, command: first.replace(/:$/, ''), subcommands: subcommand, flags });
    }
  }
  return found;
}

/** pnpm's own commands that may appear before a package script's name would (`pnpm install`, `pnpm exec vitest`). */
const PNPM_BUILTINS = new Set(['install', 'i', 'add', 'remove', 'update', 'exec', 'dlx', 'store', 'list', 'why', 'outdated', 'config']);

/** pnpm where a shell would run it (first, or after sudo, env's assignments, `;`, `&&`, a pipe), then its options and a word. */
const PNPM = /(?<=(?:^|[;&|(]|\bsudo|\benv(?:\s+"?[A-Z_]+=\S*)*|\bthen|\bdo|^\$)\s*)pnpm((?:\s+(?:-s|--silent|-C\s+\S+|--dir\s+\S+))*)\s+([a-z][\w:.-]*)/g;

/** The package scripts a line of code runs with pnpm (`pnpm test:unit`, `pnpm -s octolab-verify`, `pnpm run bench`). */
export function pnpmScriptsIn(code: string): string[] {
  const scripts: string[] = [];
  for (const m of code.matchAll(PNPM)) {
    const word = m[2]!;
    if (word === 'run') {
      const next = /^\s*([a-z][\w:.-]*)/.exec(code.slice(m.index! + m[0].length));
      if (next) scripts.push(next[1]!);
    } else if (!PNPM_BUILTINS.has(word)) {
      scripts.push(word);
    }
  }
  return scripts;
}
