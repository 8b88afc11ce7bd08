import { VerifyError, oneLine, renderErrorLine } from '../../errors.ts';
import { answersUnknown, NAGIOS, NPD } from './exit-scheme.ts';
import { peekStdoutFormat } from './format-spec.ts';
import { renderNagiosUnknown } from './render-nagios.ts';
import { renderNpdUnknown } from './render-npd.ts';

/** Where a plugin's answer and the error's full message go. */
export interface PluginStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Runs a doctor command and, when stdout carries a monitoring plugin's format (nagios, npd), answers
 * any error that stops it (a bad option, a bad configuration, a crash) the way that plugin's caller
 * understands: one UNKNOWN line on stdout, the error's one line on stderr, exit 3. With any other
 * format the error goes on to the CLI's own handling (exit 64, 78 or 1).
 */
export async function answerPluginErrors(streams: PluginStreams, args: readonly string[], run: () => Promise<number>): Promise<number> {
  const onStdout = peekStdoutFormat(args);
  if (!answersUnknown(onStdout)) return run();
  try {
    return await run();
  } catch (error) {
    const summary = error instanceof VerifyError ? error.summary : error instanceof Error ? error.message : String(error);
    streams.stdout.write(onStdout === 'nagios' ? renderNagiosUnknown(summary) : renderNpdUnknown(summary));
    const line = error instanceof VerifyError ? renderErrorLine(error) : oneLine(error instanceof Error ? error.message : String(error));
    streams.stderr.write(`octolab-verify doctor: ${line}\n`);
    return onStdout === 'nagios' ? NAGIOS.UNKNOWN : NPD.unknown;
  }
}
