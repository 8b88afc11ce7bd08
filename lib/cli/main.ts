import { ConfigError, UsageError, VerifyError } from '../errors.ts';
import { EXIT, type CliIo, type Command } from './io.ts';

/** The subcommands, loaded on demand so `octolab-verify doctor` never loads the boot code. */
const commands: Record<string, () => Promise<{ command: Command }>> = {
  boot: () => import('./commands/boot.ts'),
  image: () => import('./commands/image.ts'),
  doctor: () => import('./commands/doctor.ts'),
  netd: () => import('./commands/netd.ts'),
  setup: () => import('./commands/setup.ts'),
  rollback: () => import('./commands/rollback.ts'),
  cleanup: () => import('./commands/cleanup.ts'),
  verify: () => import('./commands/verify.ts'),
  report: () => import('./commands/report.ts'),
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
    io.stderr.write(`octolab-verify: unknown command "${name}"\n\n${await renderHelp()}`);
    return EXIT.usage;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`usage: ${command.usage}\n\n${command.summary}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(io, rest);
  } catch (error) {
    if (error instanceof VerifyError) {
      io.stderr.write(`octolab-verify ${name}: ${error.message}\n`);
      if (error instanceof UsageError) return EXIT.usage;
      if (error instanceof ConfigError) return EXIT.config;
      return EXIT.failed;
    }
    throw error;
  }
}
