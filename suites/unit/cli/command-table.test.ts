import { describe, expect, it } from 'vitest';
import { COMMAND_TABLE, findCommand } from '../../../lib/cli/command-table.ts';

describe('the CLI command table', () => {
  it.each(COMMAND_TABLE.map((entry) => [entry.name, entry] as const))('%s: the row loads a command of that name whose own summary is the one --help lists', async (name, entry) => {
    const { command } = await entry.load();
    expect(command.name).toBe(name);
    expect(entry.summary).toBe(command.summary);
  });

  it('has each name once and finds only those names', () => {
    const names = COMMAND_TABLE.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(findCommand(name)?.name).toBe(name);
    expect(findCommand('constructor')).toBeUndefined();
    expect(findCommand('')).toBeUndefined();
  });
});
