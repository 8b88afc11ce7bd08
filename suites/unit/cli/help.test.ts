import { describe, expect, it } from 'vitest';
import { EXIT_CODES, exitCodeSpec } from '../../../lib/cli/exit-codes.ts';
import { optionSynopsis, renderCommandHelp } from '../../../lib/cli/help.ts';
import { EXIT, type CliIo } from '../../../lib/cli/io.ts';
import { runCli } from '../../../lib/cli/main.ts';
import { loadCommandSpecs } from '../../../lib/cli/specs.ts';

// Help texts are rendered from each command's option table, so they share one shape and explain
// every flag; these tests hold every table to that.

const specs = await loadCommandSpecs();

function capture(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { argv, env: {}, cwd: '/', stdout: { write: (t: string) => ((stdout += t), true) } as never, stderr: { write: (t: string) => ((stderr += t), true) } as never };
  return { io, out: () => stdout, err: () => stderr };
}

describe('every command\'s options and help', () => {
  it('lists the commands in one order: doctor, verify, boot, netd, image, setup, rollback, cleanup, then report', async () => {
    expect(specs.map((s) => s.name)).toEqual(['doctor', 'verify', 'boot', 'netd', 'image', 'setup', 'rollback', 'cleanup', 'report']);
    const top = capture(['--help']);
    expect(await runCli(top.io)).toBe(0);
    const listed = [...top.out().matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
    expect(listed).toEqual(specs.map((s) => s.name));
  });

  it.each(specs.map((s) => [s.name, s] as const))('%s: every flag has a sentence saying what it does, and a value placeholder when it takes one', (_name, spec) => {
    for (const option of spec.options) {
      expect(option.description, `--${option.name}`).toMatch(/^[A-Z(].{10,}\.$/s);
      expect(option.name).toMatch(/^[a-z][a-z0-9-]+$/);
      // A placeholder is capitals (NAME, SECONDS, A|B), optionally with an optional part: NAME[:FILE].
      if (option.type === 'string') expect(option.value, `--${option.name}`).toMatch(/^[A-Z][A-Z|_]*(\[:[A-Z]+\])?$/);
    }
  });

  it.each(specs.map((s) => [s.name, s] as const))('%s: its synopsis names only its own flags, and every flag appears in the synopsis', (_name, spec) => {
    const named = new Set(spec.synopsis.flatMap((line) => [...line.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1])));
    expect([...named].sort()).toEqual(spec.options.map((o) => o.name).sort());
  });

  it.each(specs.map((s) => [s.name, s] as const))('%s --help: usage, summary, options, exit codes, in that order, every flag and code explained', async (name, spec) => {
    const run = capture([name, '--help']);
    expect(await runCli(run.io)).toBe(0);
    const help = run.out();
    expect(help).toBe(renderCommandHelp(spec));
    expect(help).toMatch(new RegExp(`^usage: octolab-verify ${name}`));
    const order = ['\n\n' + spec.summary.split(' ').slice(0, 3).join(' '), '\noptions:\n', '\nexit codes:\n'].map((part) => help.indexOf(part));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
    for (const option of spec.options) expect(help).toMatch(new RegExp(`\\n {2}${optionSynopsis(option).replace(/[|[\]]/g, '\\$&')}( |\\n)`));
    expect(help).toContain('\n  --help ');
    for (const code of spec.exitCodes) expect(help).toContain(`\n  ${String(code).padEnd(5)}${(spec.exitNotes?.[code] ?? exitCodeSpec(code).meaning).split(' ').slice(0, 4).join(' ')}`);
    for (const code of Object.keys(spec.exitNotes ?? {})) expect(spec.exitCodes).toContain(Number(code));
  });

  it('regression: netd --help explains every flag (it listed them without a word before)', async () => {
    const run = capture(['netd', '--help']);
    await runCli(run.io);
    for (const flag of ['--socket PATH', '--group NAME', '--tap-owner UID', '--pidfile PATH', '--netns NAME', '--request-timeout SECONDS', '--max-connections N', '--json', '--timeout SECONDS']) {
      expect(run.out()).toMatch(new RegExp(`\\n {2}${flag}( +|\\n +)[A-Z(]`));
    }
  });

  it('keeps every exit code a command can end with in the one table, and the table\'s codes distinct', () => {
    const codes = EXIT_CODES.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of Object.values(EXIT)) expect(codes).toContain(code);
    for (const spec of specs) for (const code of spec.exitCodes) expect(codes).toContain(code);
  });
});
