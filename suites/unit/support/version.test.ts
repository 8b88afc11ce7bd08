import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TOOL_NAME, TOOL_VERSION } from '../../../lib/version.ts';

describe('the tool version', () => {
  it('is the version and name package.json declares (a release bumps both)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string; bin: Record<string, string> };
    expect(TOOL_VERSION).toBe(pkg.version);
    expect(Object.keys(pkg.bin)).toContain(TOOL_NAME);
  });
});
