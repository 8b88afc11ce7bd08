import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** Where the doctor's golden renderings live. */
export const GOLDEN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/golden/doctor');

/** True on an explicit update run: `UPDATE_GOLDEN=1 npx vitest run --project unit suites/unit/doctor`. */
export const UPDATING = process.env.UPDATE_GOLDEN === '1';

/** Compares `actual` with the golden file `name` (in `dir`, the doctor's by default); only an update run (re)writes it. */
export function expectGolden(name: string, actual: string, dir = GOLDEN_DIR): void {
  const file = path.join(dir, name);
  if (UPDATING) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden file ${file} is missing: create it with UPDATE_GOLDEN=1 and review it`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}
