#!/usr/bin/env node
// Launcher: registers tsx so the TypeScript entry runs on Node 20 from any directory.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../lib/cli/main.ts');
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    // First signal: ask the running command to tear down; a second one kills as usual.
    controller.abort(new Error(`received ${signal}`));
  });
}
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
