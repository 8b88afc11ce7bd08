import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST_DIR } from '../../../scripts/built.cjs';
import { describeBuildError, toCommonJs, useBuiltinModule } from '../../../scripts/build.mjs';

// The build turns the outputs' imports of Node builtins into process.getBuiltinModule constants
// (a first ES import of a builtin costs a tenth of `node -e 0`); every form esbuild prints.

describe('useBuiltinModule (the build\'s rewrite of builtin imports)', () => {
  it.each([
    ['import path from "node:path";', 'const path = process.getBuiltinModule("node:path");'],
    ['import * as os from "node:os";', 'const os = process.getBuiltinModule("node:os");'],
    ['import { spawn } from "node:child_process";', 'const { spawn } = process.getBuiltinModule("node:child_process");'],
    ['import { constants as constants2, promises as fs4 } from "node:fs";', 'const { constants: constants2, promises: fs4 } = process.getBuiltinModule("node:fs");'],
    ['import { setTimeout as sleep } from "node:timers/promises";', 'const { setTimeout: sleep } = process.getBuiltinModule("node:timers/promises");'],
    ['import fs, { watch } from "node:fs";', 'const fs = process.getBuiltinModule("node:fs"), { watch } = fs;'],
    ['import "node:fs";', 'process.getBuiltinModule("node:fs");'],
  ])('%s', (line, expected) => {
    expect(useBuiltinModule(`// banner\n${line}\nuse();\n`)).toBe(`// banner\n${expected}\nuse();\n`);
  });

  it('leaves imports of chunks and packages, and builtin names inside code, alone', () => {
    const code = 'import { a } from "./chunk-ABC.js";\nimport { Client } from "undici";\nconst s = \'import x from "node:fs";\';\n  import("node:fs");\n';
    expect(useBuiltinModule(code)).toBe(code);
  });

  it('evaluates to the same module objects a static import gives', async () => {
    const { promises, constants } = await import('node:fs');
    const rewritten = useBuiltinModule('import { promises as fs, constants } from "node:fs";');
    const evaluate = new Function(`${rewritten}\nreturn { fs, constants };`) as () => { fs: unknown; constants: unknown };
    expect(evaluate()).toEqual({ fs: promises, constants });
  });
});

// The CLI's chunks are split as ES modules and transformed one by one into CommonJS.

describe('toCommonJs (the transform of each CLI chunk)', () => {
  it('requires the chunks it imports, loads a command\'s chunk through require in a promise, keeps the source paths and strict mode', async () => {
    const code = await toCommonJs('// lib/a.ts\nimport { a } from "./chunk-X.cjs";\nexport const load = () => import("./boot-Y.cjs");\nexport { a };\n', '/pkg/dist/m.cjs');
    expect(code).toMatch(/^"use strict";\n\/\/ Built by scripts\/build\.mjs/);
    expect(code).toContain('require("./chunk-X.cjs")');
    expect(code).toMatch(/Promise\.resolve\(\)\.then\(\(\) => __toESM\(require\("\.\/boot-Y\.cjs"\)\)\)/);
    expect(code).not.toMatch(/\bimport\(/);
    expect(code).toContain('\n// lib/a.ts\n');
    const module = { exports: {} as Record<string, unknown> };
    const required: string[] = [];
    new Function('module', 'exports', 'require', code)(module, module.exports, (id: string) => (required.push(id), { a: 42, __esModule: true }));
    expect(module.exports.a).toBe(42);
    expect(required).toEqual(['./chunk-X.cjs']);
  });

  it('refuses what CommonJS cannot express, naming the file: import.meta beyond the url, top-level await', async () => {
    await expect(toCommonJs('export const d = import.meta.dirname;\n', '/pkg/dist/bad.cjs')).rejects.toThrow(/^bad\.cjs: cannot be CommonJS: "import\.meta" is not available/);
    const error = await toCommonJs('await Promise.resolve();\nexport {};\n', '/pkg/dist/tla.cjs').catch((e: unknown) => e);
    expect(describeBuildError(error)).toMatch(/^\/pkg\/dist\/tla\.cjs:1:0: Top-level await is currently not supported with the "cjs" output format/);
  });
});

describe('the CLI\'s CommonJS build in dist/', () => {
  it('requires only packages whose entry for require is CommonJS (one that ships only as ES modules, like execa, is bundled in: Node 20 before 20.19 cannot require it)', () => {
    const files = readdirSync(DIST_DIR).filter((name) => name.endsWith('.cjs'));
    expect(files).toContain('octolab-verify.cjs');
    const packages = new Map<string, string>();
    for (const name of files) {
      for (const [, id] of readFileSync(path.join(DIST_DIR, name), 'utf8').matchAll(/\brequire\("([^".][^"]*)"\)/g)) {
        if (!id!.startsWith('node:')) packages.set(id!, name);
      }
    }
    expect(packages.size).toBeGreaterThan(0);
    for (const [id, name] of packages) {
      const entry = createRequire(path.join(DIST_DIR, name)).resolve(id);
      expect(isCommonJs(entry), `${name} requires ${id}, whose entry ${entry} is an ES module`).toBe(true);
    }
  });
});

/** Whether Node loads `file` as CommonJS: .cjs, or .js under a package.json without "type": "module". */
function isCommonJs(file: string): boolean {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    let manifest: { type?: string };
    try {
      manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: string };
    } catch {
      continue;
    }
    return manifest.type !== 'module';
  }
  return true;
}
