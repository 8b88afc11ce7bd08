import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../lib/cli/exit-codes.ts';
import { loadCommandSpecs } from '../../../lib/cli/specs.ts';
import { KNOWN_NAMES } from '../../../lib/config/load-config.ts';
import { toolVariables } from '../../../lib/config/tool-variables.ts';
import { variables } from '../../../lib/config/variables.ts';
import { allChecks } from '../../../lib/doctor/checks/index.ts';
import { PACKAGE_ROOT } from '../../../lib/package-paths.ts';

// The pages written for the CLI's face (doctor, configuration, setup) must say what the CLI does:
// the same exit codes, every variable with its default, and only commands and flags that exist.

const DOCS = ['docs/doctor.md', 'docs/configuration.md', 'docs/setup.md'];
const read = (file: string) => readFileSync(`${PACKAGE_ROOT}/${file}`, 'utf8');
const specs = await loadCommandSpecs();

/** The code of a page: `spans` and the lines of fenced blocks. */
function codeOf(text: string): string[] {
  const fenced = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n'));
  const spans = [...text.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return [...fenced, ...spans];
}

/** The rows of the Markdown table that follows `heading`. */
function tableAfter(text: string, heading: string): string[][] {
  const start = text.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|')));
  }
  return rows;
}

describe('docs/doctor.md, docs/configuration.md and docs/setup.md say what the CLI does', () => {
  it('docs/doctor.md\'s exit-code table is the CLI\'s (lib/cli/exit-codes.ts), row for row', () => {
    expect(tableAfter(read('docs/doctor.md'), '## Exit codes')).toEqual(EXIT_CODES.map((e) => [String(e.code), e.name, e.meaning]));
  });

  it('docs/doctor.md has a troubleshooting section for every check', () => {
    const text = read('docs/doctor.md');
    for (const check of allChecks) expect(text).toContain(`\n### ${check.id}\n`);
  });

  it('docs/configuration.md lists every setting with its legacy names, default, what is allowed and who reads it', () => {
    const rows = tableAfter(read('docs/configuration.md'), '## Settings');
    expect(rows.map((r) => r[0])).toEqual(Object.values(variables).map((v) => `\`${v.name}\``));
    for (const v of Object.values(variables)) {
      const row = rows.find((r) => r[0] === `\`${v.name}\``)!;
      const shown = v.default === null ? 'not set' : `\`${typeof v.default === 'object' ? v.default.text : String(v.default)}\``;
      expect(row.slice(1, 5)).toEqual([(v.legacy ?? []).map((l) => `\`${l}\``).join(', '), shown, v.allowed, v.readBy.join(', ')]);
    }
  });

  it('docs/configuration.md lists every environment-only variable with its default and who reads it', () => {
    const rows = tableAfter(read('docs/configuration.md'), '## Environment only');
    expect(rows.map((r) => r.slice(0, 4))).toEqual(toolVariables.map((v) => [`\`${v.name}\``, v.default, v.allowed, v.readBy.join(', ')]));
  });

  it.each(DOCS)('%s names only variables the project knows', (file) => {
    const names = new Set([...read(file).matchAll(/\b(OCTOLAB_[A-Z0-9_]+|MICROVM_[A-Z0-9_]+)\b/g)].map((m) => m[1]!));
    // Not variables: upstream's block marker, and the misspelling the "did you mean" example shows.
    const shownOnPurpose = new Set(['OCTOLAB_MICROVM', 'OCTOLAB_MICROVM_KERNAL_PATH']);
    for (const name of names) expect(KNOWN_NAMES.has(name) || shownOnPurpose.has(name), `${file} names ${name}`).toBe(true);
  });

  it.each(DOCS)('%s shows only commands and flags that exist', (file) => {
    const commands = new Map(specs.map((s) => [s.name, s]));
    let seen = 0;
    for (const code of codeOf(read(file))) {
      for (const m of code.matchAll(/(?:^|[\s/])(?:octolab-verify|bin\/octolab-verify\.mjs) ([a-z][a-z-]*)([^`|]*)/g)) {
        const spec = commands.get(m[1]!);
        expect(spec, `${file}: \`${code}\` names no command`).toBeDefined();
        const known = new Set(['help', ...spec!.options.flatMap((o) => [o.name, ...(o.aliases ?? [])])]);
        for (const flag of m[2]!.matchAll(/--([a-z][a-z0-9-]*)/g)) expect(known.has(flag[1]!), `${file}: --${flag[1]} in \`${code}\` is not a ${m[1]} option`).toBe(true);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(0);
  });
});
