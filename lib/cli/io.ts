import type { CommandSpec } from './options.ts';

/** Where a command reads its inputs and writes its outputs; the CLI never touches process.* itself. */
export interface CliIo {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  cwd: string;
  /** Abort when the runner is interrupted (SIGINT/SIGTERM), so long commands can tear down. */
  signal?: AbortSignal;
}

/** One subcommand: its name, a one-line summary, its options and help as data, and what it does. */
export interface Command {
  name: string;
  summary: string;
  /** Options, help text and exit codes (lib/cli/options.ts); `--help` renders it. */
  spec: CommandSpec;
  /** Runs with the arguments after the command name; returns the exit code. */
  run(io: CliIo, args: readonly string[]): Promise<number>;
}

/** Exit codes shared by every command (each explained in lib/cli/exit-codes.ts). */
export const EXIT = {
  ok: 0,
  failed: 1,
  fatal: 2,
  strict: 3,
  usage: 64,
  config: 78,
  interrupted: 130,
} as const;
