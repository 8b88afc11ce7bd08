import { PassThrough } from 'node:stream';
import type { CliIo } from '../../lib/cli/io.ts';

/** A CliIo whose stdout and stderr are collected, for running a command in-process. */
export interface CapturedIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
}

/** Returns a CliIo that records what a command writes (stdout is not a TTY unless asked). */
export function captureIo(options: { argv?: readonly string[]; env?: CliIo['env']; cwd: string; tty?: boolean }): CapturedIo {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  err.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const io: CliIo = { argv: options.argv ?? [], env: options.env ?? {}, stdout: Object.assign(out, { isTTY: options.tty ?? false }), stderr: err, cwd: options.cwd };
  return { io, stdout: () => stdout, stderr: () => stderr };
}
