import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Programs that tests start run from dist/ through their launchers (docs/development.md), never
// through tsx, which costs each spawn about a second under load. This finds any that slipped back.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SPAWNS_TSX = /['"]--import['"],\s*['"]tsx['"]|['"]--import=tsx['"]|['"]--loader['"],\s*['"]tsx['"]/;

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (/\.(ts|mts|mjs|js)$/.test(entry.name)) yield full;
  }
}

describe('processes the tests start', () => {
  it('are never started through tsx: a helper program gets a build entry and a launcher instead', async () => {
    const found: string[] = [];
    for (const top of ['lib', 'fixtures', 'suites']) {
      for await (const file of sourceFiles(path.join(REPO, top))) {
        const lines = (await fs.readFile(file, 'utf8')).split('\n');
        lines.forEach((line, index) => {
          if (SPAWNS_TSX.test(line) && !file.endsWith('no-tsx-spawn.test.ts')) found.push(`${path.relative(REPO, file)}:${index + 1}`);
        });
      }
    }
    expect(found, 'add the program to scripts/build-entries.mjs with a launcher (see fixtures/fake-netd-process.mjs) and spawn the launcher').toEqual([]);
  });
});
