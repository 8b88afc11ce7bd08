import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { NetdClient } from '../../../lib/netd/client.ts';
import { clientOf, waitFor } from '../netd/support.ts';

const CLI = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));

/** The real daemon, started as `octolab-verify netd serve` in a child process. */
export interface NetdProcess {
  socketPath: string;
  client: NetdClient;
  /** SIGTERM, then (if it has not ended within 20 s) SIGKILL; resolves with its exit and output. */
  stop(): Promise<{ exitCode: number | undefined; signal: string | undefined; output: string }>;
}

/** What the daemon is started with. */
export interface NetdProcessOptions {
  netns: string;
  /** Created by the daemon; its socket goes inside. */
  runDir: string;
  group: string;
  tapOwner?: number;
}

/** Starts `octolab-verify netd serve --netns … --socket … --group … [--tap-owner …]` and waits for its ping. */
export async function startNetdProcess(options: NetdProcessOptions): Promise<NetdProcess> {
  const socketPath = path.join(options.runDir, 'microvm-netd.sock');
  const args = ['netd', 'serve', '--netns', options.netns, '--socket', socketPath, '--group', options.group];
  if (options.tapOwner !== undefined) args.push('--tap-owner', String(options.tapOwner));
  const child: ResultPromise<{ reject: false; all: true }> = execa(process.execPath, [CLI, ...args], { reject: false, all: true });
  let ended = false;
  void child.finally(() => (ended = true));
  const stop = async () => {
    if (!ended) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const result = await child;
    clearTimeout(timer);
    return { exitCode: result.exitCode, signal: result.signal, output: result.all ?? '' };
  };
  const up = await waitFor(async () => !ended && (await clientOf(socketPath, 1000).ping()).status === 'ok', 30_000);
  if (!up) {
    const { output } = await stop();
    throw new Error(`microvm-netd (${args.join(' ')}) did not answer ping within 30 s:\n${output}`);
  }
  return { socketPath, client: clientOf(socketPath), stop };
}
