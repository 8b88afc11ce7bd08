#!/usr/bin/env node
// Launcher: registers tsx so the TypeScript entry runs on Node 20 from any directory.
import { register } from 'tsx/esm/api';
import { constants } from 'node:os';

register();
const { runCli } = await import('../lib/cli/main.ts');
const controller = new AbortController();
let signals = 0;
/**
 * The first SIGINT/SIGTERM asks the running command to tear down (it returns its own exit code);
 * a second one ends the process at once. The listener stays installed, so this process always has
 * a handler of its own and libraries that watch signals (execa's signal-exit) never treat a signal
 * as unhandled and kill it mid-teardown.
 */
function onSignal(signal) {
  signals++;
  if (signals === 1) {
    controller.abort(new Error(`received ${signal}`));
    return;
  }
  process.stderr.write(`octolab-verify: second ${signal}: exiting now; teardown was interrupted (run \`octolab-verify cleanup\` for what is left)\n`);
  // Die by the signal itself, as an unhandled one would, so the parent sees it; the exit code is the fallback.
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  setTimeout(() => process.exit(128 + constants.signals[signal]), 1000).unref();
  process.kill(process.pid, signal);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
try {
  process.exitCode = await runCli({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    signal: controller.signal,
  });
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
