import { Gauge, Registry } from 'prom-client';
import { TOOL_VERSION } from '../../version.ts';
import type { DoctorReport } from '../report.ts';

/**
 * The metrics, named as Prometheus' conventions want them: one `octolab_` prefix, base units
 * (seconds) named as a suffix, `_info` for the build-info pseudo-metric, `_timestamp_seconds`
 * for a Unix time. All gauges: each file is a snapshot that the textfile collector re-reads.
 */
export const METRICS = {
  checkOk: 'octolab_doctor_check_ok',
  checkSkipped: 'octolab_doctor_check_skipped',
  checkDuration: 'octolab_doctor_check_duration_seconds',
  ready: 'octolab_doctor_ready',
  failedChecks: 'octolab_doctor_failed_checks',
  duration: 'octolab_doctor_duration_seconds',
  lastRun: 'octolab_doctor_last_run_timestamp_seconds',
  buildInfo: 'octolab_verify_build_info',
} as const;

/**
 * Renders the report in the Prometheus text exposition format through prom-client's registry, for
 * node_exporter's textfile collector (no timestamps on samples, as that collector requires). A
 * check's `severity` label is what it reported on this run (info when it passed): alert on
 * `octolab_doctor_check_ok == 0` or `octolab_doctor_ready == 0`. Pure apart from the registry it
 * builds and drops.
 */
export async function renderPrometheus(report: DoctorReport): Promise<string> {
  const registry = new Registry();
  const registers = [registry];
  const checkOk = new Gauge({ name: METRICS.checkOk, help: 'Whether the doctor check passed (1) or not (0); severity is what the check reported on this run (info, warn, fatal).', labelNames: ['check', 'severity'], registers });
  const checkSkipped = new Gauge({ name: METRICS.checkSkipped, help: 'Whether the doctor check was skipped (1) because a check it needs did not pass.', labelNames: ['check'], registers });
  const checkDuration = new Gauge({ name: METRICS.checkDuration, help: 'How long the doctor check took, in seconds.', labelNames: ['check'], registers });
  for (const check of report.checks) {
    checkOk.set({ check: check.name, severity: check.severity }, check.ok ? 1 : 0);
    checkSkipped.set({ check: check.name }, check.skipped === null ? 0 : 1);
    checkDuration.set({ check: check.name }, check.duration_ms / 1000);
  }
  new Gauge({ name: METRICS.ready, help: 'Whether this host can run OctoLab labs in Firecracker microVMs (1: no fatal check failed).', registers }).set(report.ok ? 1 : 0);
  const failed = new Gauge({ name: METRICS.failedChecks, help: 'Doctor checks that did not pass, by severity.', labelNames: ['severity'], registers });
  failed.set({ severity: 'fatal' }, report.fatal_count);
  failed.set({ severity: 'warn' }, report.warn_count);
  new Gauge({ name: METRICS.duration, help: 'How long the whole doctor run took, in seconds.', registers }).set(report.duration_ms / 1000);
  new Gauge({ name: METRICS.lastRun, help: 'When the doctor report was generated, as a Unix time in seconds.', registers }).set(Date.parse(report.generated_at) / 1000);
  new Gauge({ name: METRICS.buildInfo, help: 'The octolab-verify build that wrote these metrics; the value is always 1.', labelNames: ['version'], registers }).set({ version: TOOL_VERSION }, 1);
  return registry.metrics();
}
