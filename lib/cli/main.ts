import { TOOL_NAME, TOOL_VERSION } from '../version.ts';
import { COMMAND_TABLE, findCommand } from './command-table.ts';
import { EXIT, type CliIo } from './io.ts';
import { runCommand } from './run-command.ts';

const USAGE = `usage: octolab-verify <command> [options]

Checks whether this host can run OctoLab labs in Firecracker microVMs.
Run "octolab-verify <command> --help" for a command's options.`;

/** Renders the top-level help from the static command table: usage, one line per command, the global options. */
export function renderHelp(): string {
  const lines = [USAGE, '', 'commands:'];
  for (const entry of COMMAND_TABLE) lines.push(`  ${entry.name.padEnd(10)} ${entry.summary}`);
  lines.push('', 'options:', '  -h, --help     show this help', '  -V, --version  print the version');
  return `${lines.join('\n')}\n`;
}

/** Runs the CLI and returns its exit code; only bin/ turns that into process.exit. */
export async function runCli(io: CliIo): Promise<number> {
  const [name, ...rest] = io.argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(renderHelp());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${TOOL_NAME} ${TOOL_VERSION}\n`);
    return EXIT.ok;
  }
  const entry = findCommand(name);
  if (!entry) {
    io.stderr.write(`octolab-verify: unknown command ${JSON.stringify(name)}; see \`octolab-verify --help\` for the commands\n`);
    return EXIT.usage;
  }
  const { command } = await entry.load();
  return runCommand(io, command, rest);
}
