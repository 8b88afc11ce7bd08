#!/usr/bin/env node
/**
 * Builds the TypeScript sources into plain JavaScript under dist/, so that a program starts without
 * transpiling and each CLI command loads only its own code. `pnpm install` runs it (the `prepare`
 * script); launchers run it again by themselves when a source changed (scripts/built.cjs). Writes
 * dist/build-stamp.json last: every input's mtime and size, and every output.
 *
 * Two builds, both split into an entry per program plus shared chunks:
 * - the CLI (CLI_ENTRY) as CommonJS, dist/octolab-verify.cjs + dist/*.cjs: a CommonJS start skips
 *   Node's ES module loader, about a sixth of `node -e 0` before the first line runs, and lets
 *   scripts/built.cjs hand V8 a code cache for each file. esbuild splits only ES modules, so the
 *   split ES output is transformed file by file into CommonJS; packages that ship only as ES
 *   modules (execa) are bundled in, since Node 20 before 20.19 cannot require them (package.json
 *   allows 20.16);
 * - the other programs (ENTRIES: the fakes and the helpers tests spawn) as ES modules, dist/*.js,
 *   because they use top-level await.
 *
 *   node scripts/build.mjs             build (prints one line)
 *   node scripts/build.mjs --if-stale  build only when a source changed (what `pnpm install` runs)
 *   node scripts/build.mjs --check     exit 0 when dist/ is up to date, 1 (naming the change) when not
 *
 * Plain JavaScript on purpose: it must run before anything is built.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { CLI_ENTRY, ENTRIES, PRECOMPILED } from './build-entries.mjs';

const { DIST_DIR, PACKAGE_ROOT, STAMP_FILE, findStaleInput } = createRequire(import.meta.url)('./built.cjs');

/** Files that shape the output without being imported by it: a change rebuilds too. */
const BUILD_INPUTS = ['scripts/build.mjs', 'scripts/build-entries.mjs', 'tsconfig.json', 'package.json'];

const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.mjs': 'js', '.js': 'js', '.json': 'json' };

/**
 * Loads each source of this package itself, so that (1) its mtime and size are taken before its
 * bytes are read (a file edited during the build looks changed afterwards, never fresh) and
 * (2) `import.meta.url` keeps meaning the source file's URL: every output lies directly in dist/,
 * so each source's URL is a fixed path relative to whichever output file it ends up in.
 */
function sourcePlugin(inputs, replacements = new Map(), { commonjs = false } = {}) {
  return {
    name: 'octolab-sources',
    setup(builder) {
      builder.onLoad({ filter: /\.(ts|mts|mjs|js|json)$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        if (replacements.has(args.path)) return { contents: replacements.get(args.path), loader: 'js' };
        const stats = await fs.stat(args.path);
        let contents = await fs.readFile(args.path, 'utf8');
        const relative = path.relative(PACKAGE_ROOT, args.path);
        inputs[relative] = [stats.mtimeMs, stats.size];
        if (contents.includes('import.meta.url')) {
          const fromDist = path.relative(DIST_DIR, args.path).split(path.sep).join('/');
          // CommonJS has no import.meta: the output file's own URL comes from __filename there.
          const base = commonjs ? 'process.getBuiltinModule("node:url").pathToFileURL(__filename)' : 'import.meta.url';
          contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromDist)}, ${base}).href`);
        }
        return { contents, loader: LOADERS[path.extname(args.path)] };
      });
    },
  };
}

const COMMON_OPTIONS = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  keepNames: true,
  legalComments: 'none',
  write: false,
  metafile: true,
  logLevel: 'silent',
};

/** The first line of every output. */
const BANNER = '// Built by scripts/build.mjs from the TypeScript sources: edit those, not this.';

let renders = 0;

/**
 * Runs each PRECOMPILED module's render function (bundled on its own into a temp file in dist/,
 * imported, removed) and returns path → the source that replaces the module in the build.
 */
async function renderPrecompiled(build, inputs) {
  const replacements = new Map();
  for (const [file, { render, reads }] of Object.entries(PRECOMPILED)) {
    for (const read of reads) {
      const stats = await fs.stat(path.join(PACKAGE_ROOT, read));
      inputs[read] = [stats.mtimeMs, stats.size];
    }
    const absolute = path.join(PACKAGE_ROOT, file);
    const result = await build({ ...COMMON_OPTIONS, absWorkingDir: PACKAGE_ROOT, entryPoints: [absolute], outdir: DIST_DIR, plugins: [sourcePlugin(inputs)] });
    await fs.mkdir(DIST_DIR, { recursive: true });
    // A fresh name per render: the module cache would hand a second render in one process the first one's result.
    const temp = path.join(DIST_DIR, `.render-${process.pid}-${++renders}.tmp.mjs`);
    try {
      await fs.writeFile(temp, result.outputFiles[0].contents);
      const module = await import(pathToFileURL(temp).href);
      replacements.set(absolute, module[render]());
    } finally {
      await fs.rm(temp, { force: true });
    }
  }
  return replacements;
}

let writes = 0;

const BUILTIN_IMPORT = /^import (?:(\w+)|\* as (\w+)|\{([^}]*)\}|(\w+), \{([^}]*)\})? ?(?:from )?"(node:[\w/]+)";$/gm;

/**
 * Turns each `import … from "node:x"` of an output into a `process.getBuiltinModule("node:x")`
 * constant: a process's first ES import of a builtin costs about a tenth of `node -e 0`, and
 * getBuiltinModule returns the module without building an ES namespace. Safe because esbuild puts
 * every import at the top of a file, and its chunks never import each other in a cycle.
 */
export function useBuiltinModule(code) {
  const names = (list) => list.split(',').map((n) => n.trim()).filter(Boolean).map((n) => n.replace(/^(\S+) as (\S+)$/, '$1: $2')).join(', ');
  return code.replace(BUILTIN_IMPORT, (line, whole, namespace, named, first, rest, id) => {
    const module = `process.getBuiltinModule(${JSON.stringify(id)})`;
    if (whole ?? namespace) return `const ${whole ?? namespace} = ${module};`;
    if (named !== undefined) return `const { ${names(named)} } = ${module};`;
    if (first) return `const ${first} = ${module}, { ${names(rest)} } = ${first};`;
    return `${module};`;
  });
}

/** Writes `file` whole or not at all (temp file + rename), creating its directory; safe for concurrent builds. */
async function writeAtomically(file, contents) {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}-${++writes}.tmp`;
  await fs.writeFile(temp, contents);
  await fs.rename(temp, file);
}

/** Under sudo/root, hands what it wrote to the owner of the package directory, so a later non-root build can replace it. */
async function matchOwner(files) {
  if (typeof process.geteuid !== 'function' || process.geteuid() !== 0) return;
  const owner = await fs.stat(PACKAGE_ROOT);
  if (owner.uid === 0) return;
  for (const file of [DIST_DIR, ...files]) await fs.chown(file, owner.uid, owner.gid).catch(() => undefined);
}

/** Reads the previous stamp's outputs (empty when there is none). */
async function previousOutputs() {
  try {
    return JSON.parse(await fs.readFile(STAMP_FILE, 'utf8')).outputs ?? [];
  } catch {
    return [];
  }
}

/**
 * Dependencies that ship only as ES modules (package.json "type": "module" and no "require"
 * condition for "."): Node 20 before 20.19 cannot require them, so the CLI's build bundles them.
 */
async function esmOnlyDependencies() {
  const manifest = JSON.parse(await fs.readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8'));
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  const esmOnly = [];
  for (const name of names) {
    let pkg;
    try {
      pkg = JSON.parse(await fs.readFile(path.join(PACKAGE_ROOT, 'node_modules', name, 'package.json'), 'utf8'));
    } catch {
      continue; // not installed (an optional tool): nothing imports it from the CLI
    }
    const root = typeof pkg.exports === 'object' && pkg.exports !== null && !Array.isArray(pkg.exports) ? (pkg.exports['.'] ?? pkg.exports) : pkg.exports;
    const requirable = typeof root === 'object' && root !== null && JSON.stringify(root).includes('"require"');
    if (pkg.type === 'module' && !requirable) esmOnly.push(name);
  }
  return { external: names.filter((name) => !esmOnly.includes(name)), esmOnly };
}

/**
 * Turns one ES module of the CLI's split build into CommonJS: its imports of other chunks become
 * require() calls (the files end in .cjs already), a dynamic import() of a command's chunk a
 * require() inside a promise, so loading a command never starts the ES module loader. Throws,
 * naming the file, for whatever CommonJS cannot express (top-level await, import.meta beyond the
 * url the source plugin rewrites) instead of letting esbuild empty it with a warning.
 */
export async function toCommonJs(code, file) {
  const { transform } = await import('esbuild');
  // The transform keeps only legal comments: each module's source path (`// lib/x.ts`) goes
  // through it as one (`//! lib/x.ts`) and comes back. The banner is put back, and "use strict"
  // keeps the ES module's semantics.
  const marked = code.replace(SOURCE_PATH_COMMENT, '//! $1');
  const result = await transform(marked, { banner: `"use strict";\n${BANNER}`, format: 'cjs', platform: 'node', target: 'node20', supported: { 'dynamic-import': false }, legalComments: 'inline', sourcefile: file, logLevel: 'silent' });
  const warning = result.warnings[0];
  if (warning) throw new Error(`${path.basename(file)}: cannot be CommonJS: ${warning.text}`);
  return result.code.replace(/^(\s*)\/\/! /gm, '$1// ');
}

/** The comment esbuild puts before each module of a bundle: its path. */
const SOURCE_PATH_COMMENT = /^\/\/ ((?:lib|fixtures|suites|scripts|node_modules)\/\S+)$/gm;

/** Writes the outputs: chunks first, entries next (each atomically); returns their dist/-relative names. */
async function writeOutputs(outputFiles, entryFiles, render) {
  const ordered = [...outputFiles].sort((a, b) => Number(entryFiles.has(path.basename(a.path))) - Number(entryFiles.has(path.basename(b.path))));
  for (const file of ordered) await writeAtomically(file.path, await render(file));
  return outputFiles.map((file) => path.relative(DIST_DIR, file.path));
}

/**
 * Builds every entry into dist/ and writes the stamp; resolves with what it did. Outputs are
 * replaced one by one atomically, chunks first, entries next, the stamp last, so a program that
 * starts meanwhile sees either build, never half of one. Chunks carry a content hash; those of
 * the previous build stay one more generation for processes still running it.
 */
export async function buildAll() {
  const started = performance.now();
  const inputs = {};
  for (const file of BUILD_INPUTS) {
    const stats = await fs.stat(path.join(PACKAGE_ROOT, file));
    inputs[file] = [stats.mtimeMs, stats.size];
  }
  const { build } = await import('esbuild'); // here, so `--check` and the launchers' check never load it
  const replacements = await renderPrecompiled(build, inputs);
  const split = {
    ...COMMON_OPTIONS,
    absWorkingDir: PACKAGE_ROOT,
    outdir: DIST_DIR,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    splitting: true,
    banner: { js: BANNER },
  };
  const programs = await build({
    ...split,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, entry]) => [name, path.join(PACKAGE_ROOT, entry)])),
    plugins: [sourcePlugin(inputs, replacements)],
  });
  const { external, esmOnly } = await esmOnlyDependencies();
  const cliName = path.basename(CLI_ENTRY.output, '.cjs');
  const cli = await build({
    ...split,
    packages: undefined,
    external,
    outExtension: { '.js': '.cjs' },
    entryPoints: { [cliName]: path.join(PACKAGE_ROOT, CLI_ENTRY.source) },
    plugins: [sourcePlugin(inputs, new Map(), { commonjs: true })],
  });
  for (const name of esmOnly) inputs[`node_modules/${name}/package.json`] = await fs.stat(path.join(PACKAGE_ROOT, 'node_modules', name, 'package.json')).then((s) => [s.mtimeMs, s.size]);
  const outputs = [
    ...(await writeOutputs(cli.outputFiles, new Set([CLI_ENTRY.output]), async (file) => toCommonJs(useBuiltinModule(file.text), file.path))),
    ...(await writeOutputs(programs.outputFiles, new Set(Object.keys(ENTRIES).map((name) => `${name}.js`)), async (file) => useBuiltinModule(file.text))),
  ];
  const keep = new Set([...outputs, ...(await previousOutputs()), path.basename(STAMP_FILE)]);
  for (const name of await fs.readdir(DIST_DIR)) {
    if (!keep.has(name) && !name.includes('.tmp')) await fs.rm(path.join(DIST_DIR, name), { force: true });
  }
  const stamp = { format: 1, built_at: new Date().toISOString(), inputs, outputs };
  await writeAtomically(STAMP_FILE, `${JSON.stringify(stamp)}\n`);
  await matchOwner([...outputs, path.basename(STAMP_FILE)].map((name) => path.join(DIST_DIR, name)));
  return { inputs: Object.keys(inputs).length, outputs: outputs.length, durationMs: performance.now() - started };
}

/** The first error of a failed build as one line (file:line:column: text), or the error's own message. */
export function describeBuildError(error) {
  const first = error?.errors?.[0];
  if (!first) return String(error?.message ?? error).split('\n')[0];
  const where = first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
  return `${where}${first.text}`;
}

async function main(argv) {
  if (argv.includes('--if-stale') && findStaleInput() === null) {
    console.log('build: dist/ is up to date');
    return 0;
  }
  if (argv.includes('--check')) {
    const stale = findStaleInput();
    if (stale) {
      console.error(`build: dist/ is out of date (${stale}): run pnpm build`);
      return 1;
    }
    console.log('build: dist/ is up to date');
    return 0;
  }
  try {
    const done = await buildAll();
    console.log(`build: ${done.outputs} files in dist/ from ${done.inputs} sources in ${(done.durationMs / 1000).toFixed(2)} s`);
    return 0;
  } catch (error) {
    console.error(`build: failed: ${describeBuildError(error)}`);
    return 1;
  }
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  process.exitCode = await main(process.argv.slice(2));
}
