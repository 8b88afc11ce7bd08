#!/usr/bin/env -S node --
// `node --`: Node 20 reads --env-file anywhere on its command line, even after the script name;
// after `--` it leaves the script's arguments alone (lib/cli/options.ts, DOTENV_OPTION).
// Launcher: runs the CLI from its build (dist/octolab-verify.cjs, plain CommonJS), rebuilding it
// first if a source changed since (scripts/built.cjs), so a stale build never runs. CommonJS on
// purpose: the CLI starts without Node's ES module loader (scripts/build.mjs says why).
'use strict';
const { requireBuilt } = require('../scripts/built.cjs');

/** Linux signal numbers, for the 128 + n exit code (os.constants would cost an import at every start). */
const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 };
const controller = new AbortController();
let signals = 0;
/**
 * The first SIGINT/SIGTERM asks the running command to tear down (it returns its own exit code);
 * a second one ends the process at once with 128 + the signal's number (130 SIGINT, 143 SIGTERM).
 * The listener stays installed, so this process always has a handler of its own and libraries
 * that watch signals (execa's signal-exit) never treat a signal as unhandled and kill it
 * mid-teardown.
 */
function onSignal(signal) {
  signals++;
  if (signals === 1) {
    controller.abort(new Error(`received ${signal}`));
    return;
  }
  process.stderr.write(`octolab-verify: second ${signal}: exiting now; teardown was interrupted (run \`octolab-verify cleanup\` for what is left)\n`);
  process.exit(128 + SIGNAL_NUMBERS[signal]);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function main() {
  // Loaded after the handlers are in place: a signal during start-up reaches the command as an abort.
  const { runCli } = await requireBuilt('octolab-verify.cjs', { program: 'octolab-verify', announce: true });
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
    // Last resort (runCli turns every command's failure into one line): one line here too; the
    // stack only with OCTOLAB_VERIFY_DEBUG=1.
    const message = String(error?.message ?? error).split('\n')[0];
    process.stderr.write(`octolab-verify: internal error: ${message}; run again with OCTOLAB_VERIFY_DEBUG=1 for the stack trace and report it\n`);
    if (/^(1|true|yes|on)$/i.test(process.env.OCTOLAB_VERIFY_DEBUG ?? '')) process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
  }
}

main();
