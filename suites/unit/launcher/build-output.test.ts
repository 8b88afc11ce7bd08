import { describe, expect, it } from 'vitest';
import { useBuiltinModule } from '../../../scripts/build.mjs';

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
