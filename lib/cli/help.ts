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
  spec.synopsis.forEach((synopsis, index) => lines.push(...wrapIndented(index === 0 ? 'usage: octolab-verify ' : '       octolab-verify ', synopsis, HELP_WIDTH)));
  lines.push('', ...wrapText(spec.summary, HELP_WIDTH));
  for (const paragraph of spec.description) lines.push('', ...wrapText(paragraph, HELP_WIDTH));
  lines.push('', 'options:');
  const options = [...spec.options, { name: 'help', type: 'boolean', description: 'Show this help and exit 0.' } satisfies OptionSpec];
  const width = Math.min(24, Math.max(...options.map((o) => optionSynopsis(o).length)) + 2);
  for (const option of options) {
    const head = `  ${optionSynopsis(option)}`;
    const text = option.subcommands ? `(${option.subcommands.join(', ')} only) ${option.description}` : option.description;
    const aliases = option.aliases?.length ? ` Also spelled ${option.aliases.map((a) => `--${a}`).join(', ')}.` : '';
    if (head.length + 1 > width + 2) {
      lines.push(head, ...wrapIndented(' '.repeat(width + 2), text + aliases, HELP_WIDTH));
    } else {
      lines.push(...wrapIndented(head.padEnd(width + 2), text + aliases, HELP_WIDTH));
    }
  }
  lines.push('', 'exit codes:');
  for (const code of spec.exitCodes) lines.push(...wrapIndented(`  ${String(code).padEnd(5)}`, exitCodeSpec(code).meaning, HELP_WIDTH));
  return `${lines.join('\n')}\n`;
}
