// Preload for the boot start-up test: `node --import ./spawn-probe.mjs bin/octolab-verify.cjs boot`
// appends one line to the file named by SPAWN_PROBE_TO each time the process spawns a program:
// `spawn <file> <JSON list of Node's built-in modules loaded by then>`. It shows what the boot had
// loaded when it started firecracker, whichever way a module was loaded.
import { appendFileSync } from 'node:fs';
import { ChildProcess } from 'node:child_process';

const out = process.env.SPAWN_PROBE_TO;
if (!out) throw new Error('spawn-probe.mjs: set SPAWN_PROBE_TO to the file to append to');
const spawn = ChildProcess.prototype.spawn;
ChildProcess.prototype.spawn = function probedSpawn(options) {
  const builtins = process.moduleLoadList.filter((entry) => entry.startsWith('NativeModule ')).map((entry) => entry.slice('NativeModule '.length));
  appendFileSync(out, `spawn ${options.file} ${JSON.stringify(builtins)}\n`);
  return spawn.call(this, options);
};
