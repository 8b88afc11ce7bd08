/**
 * Starts a program from dist/ (scripts/build.mjs writes it), never from a stale build: before
 * loading it compares every input recorded in dist/build-stamp.json with the file on disk (mtime
 * and size; one stat per source, a few milliseconds for this project) and rebuilds when one
 * differs. When rebuilding is impossible (esbuild missing, dist/ not writable, a syntax error) the
 * program refuses with one line naming the fix and exit 78, instead of running old code.
 *
 * Plain CommonJS on purpose: launchers load it before anything is built, and the CLI's launcher
 * (bin/octolab-verify.cjs) starts without Node's ES module loader; the ES-module launchers (the
 * fakes) import it too. Loads no esbuild unless a rebuild is due.
 */
'use strict';
const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');

/** This package's directory (where package.json is). */
const PACKAGE_ROOT = path.dirname(__dirname);
/** Where the build goes; ignored by git. */
const DIST_DIR = `${PACKAGE_ROOT}/dist`;
/** The build's record of its inputs and outputs, written last. */
const STAMP_FILE = `${DIST_DIR}/build-stamp.json`;

/** Exit code when the build is stale and cannot be rebuilt: 78, the CLI's configuration error. */
const EXIT_STALE_BUILD = 78;

/** Returns why dist/ is out of date ("lib/x.ts changed", "no build yet", ...), or null when it is current. */
function findStaleInput() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP_FILE, 'utf8'));
  } catch (error) {
    return error?.code === 'ENOENT' ? 'no build yet' : 'dist/build-stamp.json is unreadable';
  }
  if (stamp?.format !== 1 || typeof stamp.inputs !== 'object' || !Array.isArray(stamp.outputs)) return 'its stamp has an unknown format';
  for (const [file, [mtimeMs, size]] of Object.entries(stamp.inputs)) {
    const stats = statSync(`${PACKAGE_ROOT}/${file}`, { throwIfNoEntry: false });
    if (!stats) return `${file} is gone`;
    if (stats.mtimeMs !== mtimeMs || stats.size !== size) return `${file} changed`;
  }
  for (const file of stamp.outputs) {
    if (!statSync(`${DIST_DIR}/${file}`, { throwIfNoEntry: false })) return `dist/${file} is missing`;
  }
  return null;
}

/** One line on why a rebuild failed and what to do about it. */
function explainFailure(error, describeBuildError) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes("'esbuild'")) {
    return 'esbuild is not installed: run pnpm install';
  }
  if (error?.code === 'EACCES' || error?.code === 'EPERM' || error?.code === 'EROFS') {
    return `cannot write dist/ (${error.code}): run pnpm build as the owner of ${PACKAGE_ROOT}`;
  }
  const what = describeBuildError ? describeBuildError(error) : String(error?.message ?? error).split('\n')[0];
  return `${what}: fix it, then run pnpm build to see every error`;
}

/**
 * Rebuilds dist/ if any input changed; returns what happened ({ rebuilt, reason, durationMs }).
 * Throws an Error whose message is one line with the fix when the build is stale and cannot be
 * rebuilt.
 */
async function ensureBuilt() {
  const reason = findStaleInput();
  if (!reason) return { rebuilt: false, reason: null, durationMs: 0 };
  let builder;
  try {
    builder = await import('./build.mjs');
    const done = await builder.buildAll();
    return { rebuilt: true, reason, durationMs: done.durationMs };
  } catch (error) {
    throw new Error(`the build in dist/ is out of date (${reason}) and rebuilding it failed: ${explainFailure(error, builder?.describeBuildError)}`);
  }
}

/**
 * Makes sure dist/ is current, or ends the process with one line and exit 78. `program` names the
 * caller in that line; `announce` (the CLI's) also says when a rebuild happened.
 */
async function ensureBuiltOrExit({ program, announce = false }) {
  if (typeof process.getBuiltinModule !== 'function') {
    process.stderr.write(`${program}: needs Node.js 20.16 or newer (this is ${process.version}): install a current Node 20 or 22\n`);
    process.exit(EXIT_STALE_BUILD);
  }
  try {
    const done = await ensureBuilt();
    if (done.rebuilt && announce) process.stderr.write(`${program}: rebuilt dist/ (${done.reason}) in ${(done.durationMs / 1000).toFixed(2)} s\n`);
  } catch (error) {
    process.stderr.write(`${program}: ${error.message}\n`);
    process.exit(EXIT_STALE_BUILD);
  }
}

/** Imports the ES-module program dist/<name>.js (a fake, a helper) once dist/ is current (ensureBuiltOrExit). */
async function loadBuilt(name, options = {}) {
  await ensureBuiltOrExit(options);
  return import(require('node:url').pathToFileURL(`${DIST_DIR}/${name}.js`).href);
}

/** Requires the CommonJS program dist/<file> (the CLI) once dist/ is current (ensureBuiltOrExit). */
async function requireBuilt(file, options = {}) {
  await ensureBuiltOrExit(options);
  return require(`${DIST_DIR}/${file}`);
}

module.exports = { PACKAGE_ROOT, DIST_DIR, STAMP_FILE, EXIT_STALE_BUILD, findStaleInput, ensureBuilt, loadBuilt, requireBuilt };
