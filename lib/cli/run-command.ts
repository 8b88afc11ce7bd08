import { ConfigError, UsageError, VerifyError, describeErrno, errnoOf, oneLine, renderErrorLine } from '../errors.ts';
import { renderCommandHelp } from './help.ts';
import { EXIT, type CliIo, type Command } from './io.ts';
import { describeBrokenStdout, flushStream, guardStream } from './output-guard.ts';

/** Set to 1 (or true) to see stack traces; without it every failure is one line. */
export const DEBUG_VARIABLE = 'OCTOLAB_VERIFY_DEBUG';

/** True when the debug variable asks for stack traces. */
export function debugEnabled(env: CliIo['env']): boolean {
  return /^(1|true|yes|on)$/i.test((env[DEBUG_VARIABLE] ?? '').trim());
}

/**
 * Runs one command as the CLI's boundary: `--help` prints the command's help; every failure ends
 * as one line on stderr naming the problem and the fix, with its exit code (64 usage, 78
 * configuration, 1 anything else); a broken stdout or stderr never crashes the process.
 */
export async function runCommand(io: CliIo, command: Command, args: readonly string[]): Promise<number> {
  const stdout = guardStream(io.stdout);
  guardStream(io.stderr);
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(renderCommandHelp(command.spec));
    return finish(io, stdout, EXIT.ok);
  }
  let code: number;
  try {
    code = await command.run(io, args);
  } catch (error) {
    const { line, exitCode } = describeFailure(error);
    io.stderr.write(`octolab-verify ${command.name}: ${line}\n`);
    if (debugEnabled(io.env) && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    code = exitCode;
  }
  return finish(io, stdout, code);
}

async function finish(io: CliIo, stdout: { broken: string | null }, code: number): Promise<number> {
  const problem = describeBrokenStdout(await flushStream(io.stdout, stdout));
  if (problem === null) return code;
  io.stderr.write(`octolab-verify: ${problem}\n`);
  return code === EXIT.ok ? EXIT.failed : code;
}

/** Returns the one line and the exit code for anything a command threw. */
export function describeFailure(error: unknown): { line: string; exitCode: number } {
  if (error instanceof VerifyError) {
    const exitCode = error instanceof UsageError ? EXIT.usage : error instanceof ConfigError ? EXIT.config : EXIT.failed;
    return { line: renderErrorLine(error), exitCode };
  }
  const errno = errnoOf(error);
  const system = error as NodeJS.ErrnoException & { dest?: string };
  if (errno && system.syscall) {
    const target = system.path ? ` ${system.path}${system.dest ? ` -> ${system.dest}` : ''}` : '';
    return { line: `${system.syscall}${target} failed: ${describeErrno(errno)}`, exitCode: EXIT.failed };
  }
  const message = error instanceof Error ? oneLine(error.message) : String(error);
  return {
    line: `internal error: ${message}; this is a bug: run again with ${DEBUG_VARIABLE}=1 for the stack trace and report it`,
    exitCode: EXIT.failed,
  };
}
