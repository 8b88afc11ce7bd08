/**
 * The exit codes, in one place: every command ends with one of these, its help lists the ones it
 * can return, and docs/doctor.md's table is checked against this one by a unit test.
 */

/** One exit code and what it means. */
export interface ExitCodeSpec {
  code: number;
  /** A short name, as `EXIT` in lib/cli/io.ts spells it. */
  name: string;
  meaning: string;
}

/** Every exit code the CLI (and its launcher, bin/octolab-verify.cjs) uses. */
export const EXIT_CODES: readonly ExitCodeSpec[] = [
  { code: 0, name: 'ok', meaning: 'done: the doctor found nothing fatal, the boot saw its marker, the step list finished' },
  { code: 1, name: 'failed', meaning: 'something failed while running (a host suite, a boot stage, a setup step, a report that could not be written); the message says what' },
  { code: 2, name: 'fatal', meaning: 'the doctor found a fatal problem: this host cannot run OctoLab labs in Firecracker yet (each FAIL line names its fix)' },
  { code: 3, name: 'strict', meaning: '--strict, and a doctor check warned' },
  { code: 64, name: 'usage', meaning: 'the command line is wrong (unknown option, bad value, unusable path): one line says which; nothing was changed' },
  { code: 78, name: 'config', meaning: 'a setting from the environment or the env file is wrong: one line names it, its value and where it was set' },
  { code: 130, name: 'interrupted', meaning: 'stopped by SIGINT or SIGTERM after tearing down what it had started (a second signal exits at once: 130 for SIGINT, 143 for SIGTERM)' },
  { code: 143, name: 'terminated', meaning: 'a second SIGTERM ended the process during teardown (run `octolab-verify cleanup` for what is left)' },
];

/** Every documented code, for checks such as the boundary property test. */
export const DOCUMENTED_EXIT_CODES: ReadonlySet<number> = new Set(EXIT_CODES.map((e) => e.code));

/** The code's row; throws for a code nobody documented (a bug in a command's table). */
export function exitCodeSpec(code: number): ExitCodeSpec {
  const spec = EXIT_CODES.find((e) => e.code === code);
  if (!spec) throw new RangeError(`exit code ${code} is not in lib/cli/exit-codes.ts`);
  return spec;
}
