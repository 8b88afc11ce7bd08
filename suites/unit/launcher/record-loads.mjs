// Preload for tests of what a command loads: `node --import ./record-loads.mjs bin/octolab-verify.cjs …`
// appends one line per module to the file named by RECORD_LOADS_TO: `import <url>` for every ES
// module resolved (through a module.register hook) and `require <file>` for every CommonJS require
// (the resolved file name, or the id as written when it does not resolve).
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const out = process.env.RECORD_LOADS_TO;
if (!out) throw new Error('record-loads.mjs: set RECORD_LOADS_TO to the file to append to');
register('./record-loads-hooks.mjs', import.meta.url, { data: { out } });
const originalRequire = Module.prototype.require;
Module.prototype.require = function recordRequire(id) {
  let resolved = id;
  try {
    resolved = Module._resolveFilename(id, this);
  } catch {
    // recorded as written; the require below throws the real error
  }
  appendFileSync(out, `require ${resolved}\n`);
  return originalRequire.call(this, id);
};
