import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dir as tmpDir } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// scripts/built.cjs and scripts/build.mjs, copied into a throwaway package with two tiny programs
// that print what src/word.ts exports: src/hello.ts, built as an ES module like the fakes, and
// src/cli.ts, built as CommonJS like the CLI. A launcher must never run a stale build. The
// project's own dist/ is not touched (other tests run from it meanwhile).

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
let root: string;
let cleanup: () => Promise<void>;

/** Creates the throwaway package; `esbuild: false` leaves node_modules out. */
async function createPackage(options: { esbuild?: boolean } = {}): Promise<void> {
  await fs.mkdir(path.join(root, 'scripts'));
  for (const file of ['build.mjs', 'built.cjs']) await fs.copyFile(path.join(REPO, 'scripts', file), path.join(root, 'scripts', file));
  await fs.writeFile(
    path.join(root, 'scripts', 'build-entries.mjs'),
    "export const CLI_ENTRY = { source: 'src/cli.ts', output: 'cli.cjs' };\nexport const ENTRIES = { hello: 'src/hello.ts' };\nexport const PRECOMPILED = {};\n",
  );
  await fs.writeFile(path.join(root, 'package.json'), '{ "name": "throwaway", "type": "module" }\n');
  await fs.writeFile(path.join(root, 'tsconfig.json'), '{}\n');
  await fs.mkdir(path.join(root, 'src'));
  await fs.writeFile(path.join(root, 'src', 'hello.ts'), "import { word } from './word.ts';\nconsole.log(word);\n");
  await fs.writeFile(path.join(root, 'src', 'cli.ts'), "import { word } from './word.ts';\nexport function runCli(): void {\n  console.log(`cli ${word}`);\n}\n");
  await writeWord('one');
  await fs.mkdir(path.join(root, 'bin'));
  await fs.writeFile(path.join(root, 'bin', 'hello.mjs'), "import { loadBuilt } from '../scripts/built.cjs';\nawait loadBuilt('hello', { program: 'hello', announce: true });\n");
  await fs.writeFile(path.join(root, 'bin', 'cli.cjs'), "require('../scripts/built.cjs').requireBuilt('cli.cjs', { program: 'cli', announce: true }).then((m) => m.runCli());\n");
  if (options.esbuild !== false) await fs.symlink(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
}

const writeWord = (word: string) => fs.writeFile(path.join(root, 'src', 'word.ts'), `export const word: string = ${JSON.stringify(word)};\n`);

function run(file: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(root, file), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
const hello = () => run('bin/hello.mjs');
const cli = () => run('bin/cli.cjs');

/** The package's copy of scripts/built.cjs, imported in this process (quicker than a launcher per step). */
async function builtModule(): Promise<typeof import('../../../scripts/built.cjs')> {
  return import(pathToFileURL(path.join(root, 'scripts', 'built.cjs')).href);
}

beforeEach(async () => {
  ({ path: root, cleanup } = await tmpDir({ unsafeCleanup: true, prefix: 'stale-build-' }));
});
afterEach(async () => {
  await cleanup?.();
});

describe('a launcher and its build', { timeout: 60_000 }, () => {
  it('builds on the first start and says so, then runs the build as it is', async () => {
    await createPackage();
    expect(await hello()).toEqual({ code: 0, stdout: 'one\n', stderr: expect.stringMatching(/^hello: rebuilt dist\/ \(no build yet\) in \d+\.\d\d s\n$/) });
    expect(await hello()).toEqual({ code: 0, stdout: 'one\n', stderr: '' });
    expect(await cli()).toEqual({ code: 0, stdout: 'cli one\n', stderr: '' });
    expect(await run('scripts/build.mjs', ['--check'])).toMatchObject({ code: 0, stdout: 'build: dist/ is up to date\n' });
    // The CLI's output is CommonJS (it loads without the ES module loader); the program's an ES module.
    expect(await fs.readFile(path.join(root, 'dist', 'cli.cjs'), 'utf8')).toMatch(/^"use strict";\n[^]*module\.exports = /);
    expect(await fs.readFile(path.join(root, 'dist', 'hello.js'), 'utf8')).not.toContain('module.exports');
  });

  it('rebuilds when an imported source changed, naming it, and runs the new code', async () => {
    await createPackage();
    await hello();
    await writeWord('two');
    expect(await run('scripts/build.mjs', ['--check'])).toMatchObject({ code: 1, stderr: 'build: dist/ is out of date (src/word.ts changed): run pnpm build\n' });
    expect(await cli()).toEqual({ code: 0, stdout: 'cli two\n', stderr: expect.stringMatching(/^cli: rebuilt dist\/ \(src\/word\.ts changed\) in \d+\.\d\d s\n$/) });
    expect(await hello()).toEqual({ code: 0, stdout: 'two\n', stderr: '' });
  });

  it('counts a source whose mtime went back (same size, e.g. restored from an archive) as changed, and a missing output too', async () => {
    await createPackage();
    const built = await builtModule();
    expect(await built.ensureBuilt()).toMatchObject({ rebuilt: true, reason: 'no build yet' });
    expect(built.findStaleInput()).toBeNull();
    await fs.utimes(path.join(root, 'src', 'word.ts'), new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'));
    expect(built.findStaleInput()).toBe('src/word.ts changed');
    expect(await built.ensureBuilt()).toMatchObject({ rebuilt: true, reason: 'src/word.ts changed' });
    await fs.rm(path.join(root, 'dist', 'hello.js'));
    expect(built.findStaleInput()).toBe('dist/hello.js is missing');
    await built.ensureBuilt();
    await fs.rm(path.join(root, 'src', 'word.ts'));
    expect(built.findStaleInput()).toBe('src/word.ts is gone');
  });

  it('lets two builds of the same stale sources run at once, leaving one consistent build and no temp files', async () => {
    await createPackage();
    const built = await builtModule();
    await built.ensureBuilt();
    await writeWord('three');
    const both = await Promise.all([built.ensureBuilt(), built.ensureBuilt()]);
    expect(both.map((b) => b.rebuilt)).toEqual([true, true]);
    expect(built.findStaleInput()).toBeNull();
    expect((await fs.readdir(path.join(root, 'dist'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(await hello()).toEqual({ code: 0, stdout: 'three\n', stderr: '' });
  });

  it('refuses to run when the stale build cannot be rebuilt (a syntax error): exit 78, one line naming the file and the fix', async () => {
    await createPackage();
    await hello();
    await fs.writeFile(path.join(root, 'src', 'word.ts'), 'export const word: string = ;\n');
    const refused = await hello();
    expect(refused.code).toBe(78);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^hello: the build in dist\/ is out of date \(src\/word\.ts changed\) and rebuilding it failed: src\/word\.ts:1:\d+: [^\n]+: fix it, then run pnpm build to see every error\n$/);
    // The old build is never taken for current afterwards; the program runs once the source is fixed.
    expect((await builtModule()).findStaleInput()).toBe('src/word.ts changed');
    await writeWord('fixed');
    expect(await hello()).toMatchObject({ code: 0, stdout: 'fixed\n' });
  });

  it('refuses with "run pnpm install" when esbuild is not installed to rebuild', async () => {
    await createPackage({ esbuild: false });
    expect(await hello()).toEqual({ code: 78, stdout: '', stderr: 'hello: the build in dist/ is out of date (no build yet) and rebuilding it failed: esbuild is not installed: run pnpm install\n' });
  });
});
