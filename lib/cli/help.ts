import { wrapIndented, wrapText } from '../text-wrap.ts';
import { exitCodeSpec } from './exit-codes.ts';
import type { CommandSpec, OptionSpec } from './options.ts';

/** Help texts are wrapped at this width whatever the terminal: they are read, copied and diffed. */
export const HELP_WIDTH = 80;

/** Returns how an option is written in help and docs: `--junit FILE`, `--json`. */
export function optionSynopsis(option: OptionSpec): string {
  return `--${option.name}${option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : ''}`;
}

/**
 * Renders a command's help, in the one shape every command shares: usage lines, the summary, what
 * it does, every option with its explanation, the exit codes it can end with. Pure.
 */
export function renderCommandHelp(spec: CommandSpec): string {
  const lines: string[] = [];
  spec.synopsis.forEach((synopsis, index) => lines.push(...wrapSynopsis(index === 0 ? 'usage: octolab-verify ' : '       octolab-verify ', synopsis)));
  lines.push('', ...wrapText(spec.summary, HELP_WIDTH));
  for (const paragraph of spec.description) lines.push('', ...wrapText(paragraph, HELP_WIDTH));
  lines.push('', 'options:');
  const options = [...spec.options, { name: 'help', type: 'boolean', description: 'Show this help and exit 0.' } satisfies OptionSpec];
  const width = Math.min(24, Math.max(...options.map((o) => optionSynopsis(o).length)) + 2);
  for (const option of options) {
    const head = `  ${optionSynopsis(option)}`;
    const text = option.subcommands ? `(${option.subcommands.join(', ')} only) ${option.description}` : option.description;
    const unmentioned = (option.aliases ?? []).filter((a) => !option.description.includes(`--${a}`));
    const aliases = unmentioned.length > 0 ? ` Also spelled ${unmentioned.map((a) => `--${a}`).join(', ')}.` : '';
    if (head.length + 1 > width + 2) {
      lines.push(head, ...wrapIndented(' '.repeat(width + 2), text + aliases, HELP_WIDTH));
    } else {
      lines.push(...wrapIndented(head.padEnd(width + 2), text + aliases, HELP_WIDTH));
    }
  }
  lines.push('', 'exit codes:');
  for (const code of spec.exitCodes) lines.push(...wrapIndented(`  ${String(code).padEnd(5)}`, spec.exitNotes?.[code] ?? exitCodeSpec(code).meaning, HELP_WIDTH));
  return `${lines.join('\n')}\n`;
}

/** A `[...]` group (one level of brackets inside, as in `[--format NAME[:FILE]]`) with its `...`, or a word. */
const SYNOPSIS_PIECE = /\[(?:[^[\]]|\[[^\]]*\])*\](?:\.\.\.)?|\S+/g;

/** Wraps a synopsis between its `[...]` groups, never inside one. */
function wrapSynopsis(first: string, synopsis: string): string[] {
  const pieces = synopsis.match(SYNOPSIS_PIECE) ?? [];
  const pad = ' '.repeat(first.length + (synopsis.split(' ')[0]?.length ?? 0) + 1);
  const lines: string[] = [];
  let line = first;
  for (const piece of pieces) {
    if (line.trim() !== '' && line !== first && line.length + 1 + piece.length > HELP_WIDTH) {
      lines.push(line);
      line = pad + piece;
    } else line += line === first || line === pad ? piece : ` ${piece}`;
  }
  lines.push(line);
  return lines;
}
