import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HIDDEN_SCENARIOS, MISSING_KVM_DEVICE } from '../../support/hidden-capabilities.ts';
import { buildPathWithout } from '../../support/hidden-path.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let temp: DirectoryResult;
beforeEach(async () => {
  temp = await dir({ unsafeCleanup: true });
});
afterEach(async () => {
  await temp.cleanup();
});

/** Makes `dir` with the given files, executable unless named in `plain`. */
async function binDir(name: string, files: string[], plain: string[] = []): Promise<string> {
  const at = path.join(temp.path, name);
  await fs.mkdir(at);
  for (const file of [...files, ...plain]) await fs.writeFile(path.join(at, file), '#!/bin/sh\n', { mode: plain.includes(file) ? 0o644 : 0o755 });
  return at;
}

describe('a PATH without some programs (the hidden-capability runs of CI)', () => {
  it('links every other program, the first of each name as a PATH lookup picks it, and hides the named ones everywhere', async () => {
    const first = await binDir('first', ['busybox', 'node', 'ip']);
    const second = await binDir('second', ['busybox', 'ip', 'mkfs.ext4', 'tar'], ['README']);
    const into = path.join(temp.path, 'into');
    await fs.mkdir(into);
    const built = await buildPathWithout(['busybox', 'mkfs.ext4'], `${first}:relative/bin:${path.join(temp.path, 'missing')}:${second}`, into);
    expect(built.path).toBe(into);
    expect(built.hiddenFrom).toEqual([path.join(first, 'busybox'), path.join(second, 'busybox'), path.join(second, 'mkfs.ext4')]);
    expect((await fs.readdir(into)).sort()).toEqual(['ip', 'node', 'tar']);
    expect(await fs.readlink(path.join(into, 'ip'))).toBe(path.join(first, 'ip'));
    expect(await fs.readlink(path.join(into, 'tar'))).toBe(path.join(second, 'tar'));
  });
});

describe('the hidden-capability scenarios', () => {
  it('hide KVM at an absolute path that does not exist', () => {
    expect(path.isAbsolute(MISSING_KVM_DEVICE)).toBe(true);
    expect(existsSync(MISSING_KVM_DEVICE)).toBe(false);
  });

  it.each(HIDDEN_SCENARIOS.map((s) => [s.name, s] as const))('%s: names host test files that exist and gate on what it hides', (_name, scenario) => {
    expect(scenario.files.length).toBeGreaterThan(0);
    for (const file of scenario.files) {
      expect(file).toMatch(/^suites\/host\/.+\.test\.ts$/);
      expect(existsSync(path.join(ROOT, file)), file).toBe(true);
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      // Each file names a hidden program in a require helper, or reaches KVM through the doctor or require-kvm.
      const gates = scenario.hideKvm ? /requireKvm|kvmMissing|kvmDevice|runDoctor|'doctor'|'verify'/ : new RegExp(scenario.hideTools.map((t) => `'${t.replace('.', '\\.')}'`).join('|'));
      expect(text, file).toMatch(gates);
    }
  });
});
