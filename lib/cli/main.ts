import { EXIT, type CliIo, type Command } from './io.ts';
import { runCommand } from './run-command.ts';

/** The subcommands, loaded on demand so `octolab-verify doctor` never loads the boot code; help lists them in this order. */
export const commands: Record<string, () => Promise<{ command: Command }>> = {
  doctor: () => import('./commands/doctor.ts'),
  verify: () => import('./commands/verify.ts'),
  boot: () => import('./commands/boot.ts'),
  netd: () => import('./commands/netd.ts'),
  image: () => import('./commands/image.ts'),
  setup: () => import('./commands/setup.ts'),
  rollback: () => import('./commands/rollback.ts'),
  cleanup: () => import('./commands/cleanup.ts'),
};

const USAGE = `usage: octolab-verify <command> [options]

Checks whether this host can run OctoLab labs in Firecracker microVMs.
Run "octolab-verify <command> --help" for a command's options.`;

/** Renders the top-level help: usage plus one line per command. */
async function renderHelp(): Promise<string> {
  const lines = [USAGE, '', 'commands:'];
  for (const load of Object.values(commands)) {
    const { command } = await load();
    lines.push(`  ${command.name.padEnd(10)} ${command.summary}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs the CLI and returns its exit code; only bin/ turns that into process.exit. */
export async function runCli(io: CliIo): Promise<number> {
  const [name, ...rest] = io.argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(await renderHelp());
    return name ? EXIT.ok : EXIT.usage;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    io.stderr.write(`octolab-verify: unknown command ${JSON.stringify(name)}; see \`octolab-verify --help\` for the commands\n`);
    return EXIT.usage;
  }
  const { command } = await load();
  return runCommand(io, command, rest);
}
