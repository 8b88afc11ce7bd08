import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../lib/cli/exit-codes.ts';
import type { CommandSpec } from '../../../lib/cli/options.ts';
import { loadCommandSpecs } from '../../../lib/cli/specs.ts';
import { KNOWN_NAMES } from '../../../lib/config/load-config.ts';
import { toolVariables } from '../../../lib/config/tool-variables.ts';
import { variables } from '../../../lib/config/variables.ts';
import { allChecks } from '../../../lib/doctor/checks/index.ts';
import { PACKAGE_ROOT } from '../../../lib/package-paths.ts';
import { anchorsOf, codeOf, invocationsIn, pnpmScriptsIn, relativeLinksOf, tableAfter, withoutFences } from './markdown.ts';

// The README and every page under docs/ must say what the CLI does: only commands, subcommands,
// flags, package scripts and variables that exist, links that lead somewhere, the same exit codes
// and every variable with its default. A flag removed from a command's table (lib/cli/commands/*)
// fails here until every page stops showing it.

const PAGES = ['README.md', ...readdirSync(`${PACKAGE_ROOT}/docs`).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const read = (file: string) => readFileSync(`${PACKAGE_ROOT}/${file}`, 'utf8');
const specs = await loadCommandSpecs();
const commands = new Map(specs.map((s) => [s.name, s]));
const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);

/** What the bare CLI takes (lib/cli/main.ts), and what every command takes besides its table (lib/cli/run-command.ts). */
const TOP_LEVEL_FLAGS = new Set(['help', 'h', 'version', 'V']);
const EVERY_COMMAND_FLAGS = new Set(['help']);

/**
 * Names in the docs that are neither read by octolab-verify nor in KNOWN_NAMES, each for a reason:
 * upstream OctoLab facts the docs quote, and the misspelling the "did you mean" example shows.
 */
const NOT_VARIABLES: Record<string, string> = {
  OCTOLAB_MICROVM: "the env file block's marker (`### BEGIN OCTOLAB MICROVM ###`, upstream's `# BEGIN OCTOLAB_MICROVM`)",
  OCTOLAB_MICROVM_KERNAL_PATH: "docs/configuration.md's example of a misspelt name that gets a \"did you mean\"",
};

/** A variable's spellings: OCTOLAB_* and MICROVM_*, and every legacy name of the configuration table. */
const VARIABLE_NAME = new RegExp(
  `\\b(OCTOLAB_[A-Z0-9_]+|MICROVM_[A-Z0-9_]+|${Object.values(variables).flatMap((v) => v.legacy ?? []).join('|')})\\b`,
  'g',
);

/** The subcommands a command's synopsis names (`netd serve`, `netd hello|ping|list`, `image build`), or null when it has none. */
function subcommandsOf(spec: CommandSpec): Set<string> | null {
  const words = spec.synopsis.map((line) => line.split(/\s+/)[1] ?? '').filter((w) => /^[a-z][a-z|]*$/.test(w));
  return words.length ? new Set(words.flatMap((w) => w.split('|'))) : null;
}

/** Every problem with the CLI invocations in one page's code, as `page: what`. */
function invocationProblems(file: string, text: string): { problems: string[]; seen: number } {
  const problems: string[] = [];
  let seen = 0;
  for (const code of codeOf(text)) {
    for (const call of invocationsIn(code)) {
      seen++;
      if (call.command === null) {
        for (const flag of call.flags) if (!TOP_LEVEL_FLAGS.has(flag)) problems.push(`${file}: \`${code}\`: octolab-verify takes no --${flag} before a command`);
        continue;
      }
      const spec = commands.get(call.command);
      if (!spec) {
        problems.push(`${file}: \`${code}\`: ${call.command} is not a command (${[...commands.keys()].join(', ')})`);
        continue;
      }
      const known = subcommandsOf(spec);
      for (const sub of call.subcommands) if (known && !known.has(sub)) problems.push(`${file}: \`${code}\`: ${call.command} has no subcommand ${sub}`);
      for (const flag of call.flags) {
        if (EVERY_COMMAND_FLAGS.has(flag)) continue;
        const option = spec.options.find((o) => o.name === flag || o.aliases?.includes(flag));
        if (!option) problems.push(`${file}: \`${code}\`: --${flag} is not an option of ${call.command}`);
        else if (option.subcommands && known) {
          const wrong = call.subcommands.filter((sub) => known.has(sub) && !option.subcommands!.includes(sub));
          if (wrong.length) problems.push(`${file}: \`${code}\`: --${flag} is not an option of ${call.command} ${wrong.join('|')} (only ${option.subcommands.join(', ')})`);
        }
      }
    }
  }
  return { problems, seen };
}

describe('README.md and every page in docs/ show only what exists', () => {
  it('finds the README and the docs pages', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['README.md', 'docs/doctor.md', 'docs/configuration.md', 'docs/setup.md', 'docs/testing.md']));
  });

  it('README.md is at most 250 lines', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(250);
  });

  it.each(PAGES)('%s: every octolab-verify command it shows exists, with only its own subcommands and flags', (file) => {
    const { problems } = invocationProblems(file, read(file));
    expect(problems).toEqual([]);
  });

  it('the pages show the CLI at all (the parser still finds invocations), including the README\'s doctor command', () => {
    const total = PAGES.reduce((sum, file) => sum + invocationProblems(file, read(file)).seen, 0);
    expect(total).toBeGreaterThan(100);
    expect(codeOf(read('README.md')).flatMap(invocationsIn).map((c) => c.command)).toEqual(expect.arrayContaining(['doctor', 'verify', 'setup']));
  });

  it.each(PAGES)('%s: every pnpm script it shows is in package.json', (file) => {
    const missing = codeOf(read(file)).flatMap((code) => pnpmScriptsIn(code).filter((s) => !scripts.includes(s)).map((s) => `pnpm ${s} in \`${code}\``));
    expect(missing).toEqual([]);
  });

  it.each(PAGES)('%s: every environment variable it names is one the project knows', (file) => {
    const names = new Set([...read(file).matchAll(VARIABLE_NAME)].map((m) => m[1]!));
    const unknown = [...names].filter((name) => !KNOWN_NAMES.has(name) && !(name in NOT_VARIABLES));
    expect(unknown, `${file} names variables that are in no table (lib/config/variables.ts, tool-variables.ts, KNOWN_ELSEWHERE)`).toEqual([]);
  });

  it.each(PAGES)('%s: every relative link leads to a file that exists, and to a heading of it', (file) => {
    const broken: string[] = [];
    for (const link of relativeLinksOf(read(file))) {
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const resolved = target === '' ? `${PACKAGE_ROOT}/${file}` : path.resolve(path.dirname(`${PACKAGE_ROOT}/${file}`), target);
      if (!existsSync(resolved)) {
        broken.push(`${link}: no such file`);
      } else if (anchor !== undefined && statSync(resolved).isFile() && resolved.endsWith('.md') && !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${link}: no heading with anchor #${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('docs/doctor.md and docs/configuration.md are the CLI\'s own tables', () => {
  it('docs/doctor.md\'s exit-code table is the CLI\'s (lib/cli/exit-codes.ts), row for row', () => {
    expect(tableAfter(read('docs/doctor.md'), '## Exit codes')).toEqual(EXIT_CODES.map((e) => [String(e.code), e.name, e.meaning]));
  });

  it('no other page repeats the exit-code table', () => {
    // A table with rows for 64 and 78 is an exit-code table (other pages link docs/doctor.md#exit-codes).
    const repeats = (text: string) => /^\|\s*64\s*\|/m.test(text) && /^\|\s*78\s*\|/m.test(text);
    expect(PAGES.filter((file) => file !== 'docs/doctor.md' && repeats(withoutFences(read(file))))).toEqual([]);
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
});

describe('the documentation test itself', () => {
  it('reads a shell line as the commands it runs: flags up to a pipe, a redirection or the next command', () => {
    expect(invocationsIn('sudo octolab-verify setup --dry-run --kernel-sha256 "$X" | tee --bogus log; octolab-verify cleanup --json >x --nope')).toEqual([
      { code: expect.any(String), command: 'setup', subcommands: [], flags: ['dry-run', 'kernel-sha256'] },
      { code: expect.any(String), command: 'cleanup', subcommands: [], flags: ['json'] },
    ]);
    expect(invocationsIn('/srv/x/bin/octolab-verify.cjs netd hello|ping|list [--socket PATH] [--json]')[0]).toMatchObject({ command: 'netd', subcommands: ['hello', 'ping', 'list'], flags: ['socket', 'json'] });
    expect(invocationsIn('sudo env "PATH=$PATH" pnpm verify --no-suites')[0]).toMatchObject({ command: 'verify', flags: ['no-suites'] });
    // The CLI's own messages and output are not invocations.
    expect(invocationsIn('octolab-verify doctor: warning: x')[0]).toMatchObject({ command: 'doctor', subcommands: [] });
    expect(invocationsIn('octolab-verify 0.2.0, generated …')).toEqual([]);
    expect(invocationsIn('{"name": "octolab-verify", "version": "0.2.0"}')).toEqual([]);
  });

  it('reports a flag a command does not have, a subcommand flag given to the wrong subcommand, and an unknown command', () => {
    const page = ['```sh', 'octolab-verify doctor --no-such-flag', 'octolab-verify netd hello --group octolab', 'octolab-verify frobnicate', '```'].join('\n');
    expect(invocationProblems('page.md', page).problems).toEqual([
      'page.md: `octolab-verify doctor --no-such-flag`: --no-such-flag is not an option of doctor',
      'page.md: `octolab-verify netd hello --group octolab`: --group is not an option of netd hello (only serve)',
      expect.stringMatching(/^page\.md: `octolab-verify frobnicate`: frobnicate is not a command/),
    ]);
  });

  it('finds pnpm scripts after pnpm\'s own options, and not pnpm\'s own commands', () => {
    expect(pnpmScriptsIn('pnpm install --frozen-lockfile && pnpm -s octolab-verify doctor; sudo pnpm test:host; pnpm exec vitest; pnpm run bench:cli; npm i -g pnpm@10.34.9')).toEqual(['octolab-verify', 'test:host', 'bench:cli']);
  });
});
