import type { Runtime } from '../config/index.ts';
import { RuntimeNotReadyError } from '../errors.ts';
import { runDoctor, type RunDoctorOptions } from './run-doctor.ts';
import type { DoctorReport } from './report.ts';

/**
 * The fail-hard gate, as a pure decision on a report: with runtime firecracker, any fatal check
 * that did not pass throws RuntimeNotReadyError listing every such check with its hint and
 * saying there is no fallback to compose. Warnings never block; runtime compose never blocks.
 */
export function assertRuntimeReady(report: DoctorReport, runtime: Runtime): void {
  if (runtime !== 'firecracker') return;
  const fatal = report.checks.filter((c) => c.severity === 'fatal' && !c.ok);
  if (fatal.length === 0) return;
  const names = fatal.map((c) => c.name).join(', ');
  throw new RuntimeNotReadyError({
    code: 'RUNTIME_NOT_READY',
    summary: `Cannot start with OCTOLAB_RUNTIME=firecracker: ${names} check(s) failed. NO FALLBACK to compose.`,
    attempted: 'run the doctor before starting the firecracker runtime',
    reason: fatal.map((c) => `${c.name}: ${c.details}`).join('\n'),
    hint: [
      ...fatal.map((c) => `${c.name}: ${c.hint}`),
      'Fix every check above and start again. There is no fallback to compose: to run labs with compose, set OCTOLAB_RUNTIME=compose explicitly.',
    ].join('\n'),
  });
}

/**
 * Runs the gate for a backend start: with runtime firecracker it runs the doctor and throws as
 * assertRuntimeReady does; returns the report (null with runtime compose, where nothing runs).
 */
export async function enforceRuntimeGate(options: RunDoctorOptions): Promise<DoctorReport | null> {
  if (options.config.runtime !== 'firecracker') return null;
  const report = await runDoctor({ ...options, strict: false });
  assertRuntimeReady(report, options.config.runtime);
  return report;
}
