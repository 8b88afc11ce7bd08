import path from 'node:path';
import type { Config } from '../config/index.ts';
import { renderDoctorJson } from '../doctor/render-json.ts';
import { renderDoctorJUnit } from '../doctor/render-junit.ts';
import { renderDoctorText } from '../doctor/render-text.ts';
import { DOCTOR_EXIT, describeExit, type DoctorReport } from '../doctor/report.ts';
import { runDoctor, systemClock, type RunDoctorOptions } from '../doctor/run-doctor.ts';
import { describeError } from '../errors.ts';
import type { StageTimingLike } from '../json-style.ts';
import { writeReportFile } from '../host/report-file.ts';
import type { Host } from '../host/types.ts';
import { runHostSuites, type SuiteRunner, type SuitesOutcome } from './suite-run.ts';
import { Timeline } from './timeline.ts';
import { renderVerifyJson } from './verify-json.ts';

const SUITES_TITLE = 'run the host suites (vitest run --project host)';

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
  /** Send the host suites' output to stderr (`verify --json` keeps stdout for the JSON). */
  suitesToStderr?: boolean;
  color: boolean;
  signal?: AbortSignal;
  clock?: RunDoctorOptions['clock'];
  gatherFacts?: RunDoctorOptions['gatherFacts'];
}

/** What the main job found, and when each of its phases ran. */
export interface VerifyOutcome {
  report: DoctorReport;
  doctorFiles: string[];
  suites: SuitesOutcome | null;
  exitCode: number;
  /** The phases (doctor, reports, host-suites) on one time axis. */
  stages: StageTimingLike[];
  totalMs: number;
  generatedAt: string;
  reportsDir: string;
  /** verify.json in the reports directory: this outcome as JSON (what `verify --json` prints). */
  verifyFile: string;
  /** Why the doctor's reports could not be written (one line); the run stops there, with exit 1, and verify.json is not written either. */
  reportError?: string;
}

/**
 * The main job: the doctor on this host (text to the terminal; JSON and JUnit to the reports
 * directory), then the host suites, whatever the doctor found — on a host without Firecracker
 * the suites still prove netd, KVM and the image, and record why the boot was skipped.
 */
export async function runVerify(options: VerifyOptions): Promise<VerifyOutcome> {
  const clock = options.clock ?? systemClock;
  const timeline = new Timeline(clock);
  const report = await timeline.run(
    'doctor',
    'run the doctor on this host',
    () =>
      runDoctor({
        host: options.host,
        config: options.config,
        sources: options.sources,
        strict: options.strict,
        clock: options.clock,
        gatherFacts: options.gatherFacts,
        hintEnvironment: options.hintEnvironment,
      }),
    (r) => r.exit_code !== 0,
  );
  // The reports are written before the verdict is printed, so what is printed stays true.
  const doctorFiles = [path.join(options.reportsDir, 'doctor.json'), path.join(options.reportsDir, 'junit-doctor.xml')];
  let reportError: string | undefined;
  await timeline.run(
    'reports',
    'write doctor.json and junit-doctor.xml',
    async () => {
      try {
        await writeReportFile(doctorFiles[0]!, renderDoctorJson(report), options.env);
        await writeReportFile(doctorFiles[1]!, renderDoctorJUnit(report), options.env);
      } catch (error) {
        reportError = describeError(error);
      }
    },
    () => reportError !== undefined,
  );
  const closing = reportError ? 'the doctor\'s reports were not written: verify stops here (exit 1)' : `doctor ${describeExit(report)} (verify's own exit code ends the summary)`;
  options.write(renderDoctorText(report, { color: options.color, width: options.width, quiet: options.quiet, closing }));
  const verifyFile = path.join(options.reportsDir, 'verify.json');
  const finish = (suites: SuitesOutcome | null, exitCode: number): VerifyOutcome => ({
    report,
    doctorFiles,
    suites,
    exitCode,
    stages: timeline.stages(),
    totalMs: timeline.elapsedMs(),
    generatedAt: clock.isoNow(),
    reportsDir: options.reportsDir,
    verifyFile,
    ...(reportError === undefined ? {} : { reportError }),
  });
  if (reportError) {
    timeline.skip('host-suites', SUITES_TITLE);
    return finish(null, VERIFY_EXIT.suitesFailed);
  }

  let suites: SuitesOutcome | null = null;
  if (options.suites && !options.signal?.aborted) {
    options.write('\n== host suites (vitest run --project host) ==\n');
    suites = await timeline.run(
      'host-suites',
      SUITES_TITLE,
      () => runHostSuites({ runner: options.runner, packageRoot: options.packageRoot, reportsDir: options.reportsDir, env: options.env, signal: options.signal, stdoutToStderr: options.suitesToStderr, quiet: options.quiet }),
      (s) => !s.ok,
    );
  } else {
    timeline.skip('host-suites', SUITES_TITLE);
  }
  const outcome = finish(suites, exitCodeOf(report, suites));
  await writeReportFile(verifyFile, renderVerifyJson(outcome), options.env);
  return outcome;
}

/** A failed (or unreported) suite run → 1; else the doctor's code (0, 2, or 3 under --strict). */
export function exitCodeOf(report: DoctorReport, suites: SuitesOutcome | null): number {
  if (suites !== null && !suites.ok) return VERIFY_EXIT.suitesFailed;
  return report.exit_code;
}
