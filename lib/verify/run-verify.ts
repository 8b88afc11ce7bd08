import path from 'node:path';
import type { Config } from '../config/index.ts';
import { renderDoctorJson } from '../doctor/render-json.ts';
import { renderDoctorJUnit } from '../doctor/render-junit.ts';
import { renderDoctorText } from '../doctor/render-text.ts';
import { DOCTOR_EXIT, describeExit, type DoctorReport } from '../doctor/report.ts';
import { describeError } from '../errors.ts';
import { runDoctor, type RunDoctorOptions } from '../doctor/run-doctor.ts';
import { writeReportFile } from '../host/report-file.ts';
import type { Host } from '../host/types.ts';
import { runHostSuites, type SuiteRunner, type SuitesOutcome } from './suite-run.ts';

/** Exit codes of the main job; a failed suite outranks a fatal check, which outranks a strict warning. */
export const VERIFY_EXIT = { ok: 0, suitesFailed: 1, fatal: DOCTOR_EXIT.fatal, strictWarning: DOCTOR_EXIT.strictWarning } as const;

/** What the main job needs; tests pass a fake host, a fake suite runner and a fixed clock. */
export interface VerifyOptions {
  host: Host;
  config: Config;
  sources?: RunDoctorOptions['sources'];
  strict: boolean;
  /** Failures only (`--quiet`): the doctor's failed checks, the suites as dots. */
  quiet?: boolean;
  /** The width the doctor's fixes are wrapped to. */
  width?: number;
  /** How commands run here, for the doctor's hints. */
  hintEnvironment?: RunDoctorOptions['hintEnvironment'];
  /** False for `--no-suites`: the doctor only. */
  suites: boolean;
  /** Absolute directory for doctor.json, junit-doctor.xml and the host suites' junit-host.xml. */
  reportsDir: string;
  /** Where vitest runs (the package root). */
  packageRoot: string;
  runner: SuiteRunner;
  env: Readonly<Record<string, string | undefined>>;
  /** Where the doctor's text and the progress lines go. */
  write: (text: string) => void;
  color: boolean;
  signal?: AbortSignal;
  clock?: RunDoctorOptions['clock'];
  gatherFacts?: RunDoctorOptions['gatherFacts'];
}

/** What the main job found. */
export interface VerifyOutcome {
  report: DoctorReport;
  doctorFiles: string[];
  suites: SuitesOutcome | null;
  exitCode: number;
  /** Why the doctor's reports could not be written (one line); the run stops there, with exit 1. */
  reportError?: string;
}

/**
 * The main job: the doctor on this host (text to the terminal; JSON and JUnit to the reports
 * directory), then the host suites, whatever the doctor found — on a host without Firecracker
 * the suites still prove netd, KVM and the image, and record why the boot was skipped.
 */
export async function runVerify(options: VerifyOptions): Promise<VerifyOutcome> {
  const report = await runDoctor({
    host: options.host,
    config: options.config,
    sources: options.sources,
    strict: options.strict,
    clock: options.clock,
    gatherFacts: options.gatherFacts,
    hintEnvironment: options.hintEnvironment,
  });
  // The reports are written before the verdict is printed, so what is printed stays true.
  const doctorFiles = [path.join(options.reportsDir, 'doctor.json'), path.join(options.reportsDir, 'junit-doctor.xml')];
  let reportError: string | undefined;
  try {
    await writeReportFile(doctorFiles[0]!, renderDoctorJson(report), options.env);
    await writeReportFile(doctorFiles[1]!, renderDoctorJUnit(report), options.env);
  } catch (error) {
    reportError = describeError(error);
  }
  const closing = reportError ? 'the doctor\'s reports were not written: verify stops here (exit 1)' : `doctor ${describeExit(report)} (verify's own exit code ends the summary)`;
  options.write(renderDoctorText(report, { color: options.color, width: options.width, quiet: options.quiet, closing }));
  if (reportError) return { report, doctorFiles, suites: null, exitCode: VERIFY_EXIT.suitesFailed, reportError };

  let suites: SuitesOutcome | null = null;
  if (options.suites && !options.signal?.aborted) {
    options.write('\n== host suites (vitest run --project host) ==\n');
    suites = await runHostSuites({ runner: options.runner, packageRoot: options.packageRoot, reportsDir: options.reportsDir, env: options.env, signal: options.signal, quiet: options.quiet });
  }
  return { report, doctorFiles, suites, exitCode: exitCodeOf(report, suites) };
}

/** A failed (or unreported) suite run → 1; else the doctor's code (0, 2, or 3 under --strict). */
export function exitCodeOf(report: DoctorReport, suites: SuitesOutcome | null): number {
  if (suites !== null && !suites.ok) return VERIFY_EXIT.suitesFailed;
  return report.exit_code;
}
