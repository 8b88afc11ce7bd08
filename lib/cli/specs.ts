import { COMMAND_TABLE } from './command-table.ts';
import type { CommandSpec } from './options.ts';

/**
 * Every command's spec (options, help, exit codes), in the order help lists them: the data the
 * help texts, the documentation and its test are built from.
 */
export async function loadCommandSpecs(): Promise<CommandSpec[]> {
  const loaded = await Promise.all(COMMAND_TABLE.map((entry) => entry.load()));
  return loaded.map(({ command }) => command.spec);
}
