import { DOCTOR_JUNIT_CLASS } from '../doctor/render-junit.ts';
import type { StageJson } from '../json-style.ts';
import type { CaseOutcome } from '../junit/count.ts';
import type { ReportDocument } from './classify.ts';
import type { HostInput } from './collect.ts';

/** One cell of the hosts × checks matrix. */
export type CellStatus = 'ok' | 'warn' | 'fail' | 'skip' | 'none';

/** A check's outcome on one host, with what it saw and the fix. */
export interface CheckCell {
  status: CellStatus;
  details: string;
  hint: string;
}

/** Something on a host that needs a fix: a failed or warning check, a failed boot, a failed test. */
export interface Problem {
  severity: 'fail' | 'warn';
  /** What failed: `kvm`, `boot`, `test host: suites/… > name`. */
  subject: string;
  details: string;
  /** What to do; empty when the report gave none. */
  fix: string;
}

/** A run drawn as a waterfall: a boot's stages, or verify's phases. */
export interface TimelineView {
  title: string;
  file: string;
  ok: boolean;
  totalMs: number;
  stages: StageJson[];
}

/** A host's verdict, worst first. */
export type HostVerdict = 'not-ready' | 'boot-failed' | 'tests-failed' | 'warnings' | 'ready' | 'unknown';

/** Everything the fleet view shows about one host. */
export interface FleetHost {
  name: string;
  verdict: HostVerdict;
  /** The doctor's summary line, or null without a doctor report. */
  summary: string | null;
  generatedAt: string | null;
  cells: Record<string, CheckCell>;
  /** The boots' outcome as one cell (fail when any failed). */
  boot: CheckCell;
  tests: { passed: number; failed: number; skipped: number } | null;
  problems: Problem[];
  timelines: TimelineView[];
  files: string[];
}

/** The merged view of many hosts' reports. */
export interface FleetView {
  hosts: FleetHost[];
  /** Check names in the order first seen: the matrix's columns. */
  checks: string[];
  counts: Record<HostVerdict, number>;
  /** The longest timeline, in ms: every waterfall shares this axis. */
  axisMs: number;
}

/** How each verdict is said. */
export const VERDICT_TEXT: Record<HostVerdict, string> = {
  'not-ready': 'not ready',
  'boot-failed': 'boot failed',
  'tests-failed': 'tests failed',
  warnings: 'ready with warnings',
  ready: 'ready',
  unknown: 'no doctor report',
};

function doctorCells(doc: Extract<ReportDocument, { kind: 'doctor' }>): Record<string, CheckCell> {
  const cells: Record<string, CheckCell> = {};
  for (const check of doc.doctor.checks) {
    const status: CellStatus = check.skipped ? 'skip' : check.severity === 'warn' ? 'warn' : check.ok ? 'ok' : 'fail';
    cells[check.name] = { status, details: check.skipped ?? check.details, hint: check.hint };
  }
  return cells;
}

/** The doctor's JUnit rendering names each case `name: title`; a passed case cannot tell a warning. */
function junitDoctorCells(cases: readonly CaseOutcome[]): Record<string, CheckCell> {
  const cells: Record<string, CheckCell> = {};
  for (const c of cases) {
    const name = c.name.split(': ')[0]!;
    cells[name] = { status: c.status === 'failed' ? 'fail' : c.status === 'skipped' ? 'skip' : 'ok', details: c.message, hint: '' };
  }
  return cells;
}

function bootTimeline(doc: Extract<ReportDocument, { kind: 'boot' }>): TimelineView {
  const b = doc.boot;
  const what = b.ok ? 'passed' : `failed at ${b.failed_stage ?? 'teardown'}`;
  return { title: `boot ${what} (lab ${b.lab_id}${b.firecracker_version ? `, firecracker ${b.firecracker_version}` : ''})`, file: doc.file, ok: b.ok, totalMs: b.total_ms, stages: b.stages };
}

/** Builds one host's view from its documents. */
export function buildHost(input: HostInput): FleetHost {
  const doctor = input.documents.find((d): d is Extract<ReportDocument, { kind: 'doctor' }> => d.kind === 'doctor');
  const boots = input.documents.filter((d): d is Extract<ReportDocument, { kind: 'boot' }> => d.kind === 'boot');
  const verifies = input.documents.filter((d): d is Extract<ReportDocument, { kind: 'verify' }> => d.kind === 'verify');
  const junitCases = input.documents.flatMap((d) => (d.kind === 'junit' ? d.cases : []));
  const doctorCases = junitCases.filter((c) => c.classname === DOCTOR_JUNIT_CLASS);
  const testCases = junitCases.filter((c) => c.classname !== DOCTOR_JUNIT_CLASS);

  const cells = doctor ? doctorCells(doctor) : junitDoctorCells(doctorCases);
  const problems: Problem[] = [];
  for (const [name, cell] of Object.entries(cells)) {
    if (cell.status === 'fail' || cell.status === 'warn') problems.push({ severity: cell.status, subject: name, details: cell.details, fix: cell.hint });
  }
  for (const { boot: b } of boots) {
    if (!b.ok) problems.push({ severity: 'fail', subject: 'boot', details: `failed at stage ${b.failed_stage ?? 'teardown'}: ${b.error?.summary ?? 'no error recorded'}`, fix: b.hint ?? b.error?.hint ?? '' });
  }
  for (const c of testCases.filter((t) => t.status === 'failed')) problems.push({ severity: 'fail', subject: `test ${c.classname} > ${c.name}`, details: c.message || 'failed (no message recorded)', fix: '' });

  const tests = testCases.length > 0 ? { passed: 0, failed: 0, skipped: 0 } : null;
  for (const c of testCases) tests![c.status]++;
  const failedBoot = boots.find((b) => !b.boot.ok);
  const boot: CheckCell =
    boots.length === 0
      ? { status: 'none', details: 'no boot recorded', hint: '' }
      : failedBoot
        ? { status: 'fail', details: `failed at ${failedBoot.boot.failed_stage ?? 'teardown'}`, hint: failedBoot.boot.hint ?? '' }
        : { status: 'ok', details: `passed in ${(boots[0]!.boot.total_ms / 1000).toFixed(2)} s`, hint: '' };
  const timelines = [
    ...boots.map(bootTimeline),
    ...verifies.map((v) => ({ title: `verify: ${v.verify.verdict}`, file: v.file, ok: v.verify.ok, totalMs: v.verify.total_ms, stages: v.verify.stages })),
  ];
  const statuses = Object.values(cells).map((c) => c.status);
  const verdict: HostVerdict =
    (doctor && doctor.doctor.fatal_count > 0) || (!doctor && statuses.includes('fail'))
      ? 'not-ready'
      : failedBoot
        ? 'boot-failed'
        : (tests?.failed ?? 0) > 0 || verifies.some((v) => v.verify.verdict === 'suites-failed')
          ? 'tests-failed'
          : statuses.includes('warn')
            ? 'warnings'
            : doctor || doctorCases.length > 0 || verifies.length > 0
              ? 'ready'
              : 'unknown';
  return {
    name: input.name,
    verdict,
    summary: doctor?.doctor.summary ?? verifies[0]?.verify.doctor.summary ?? null,
    generatedAt: doctor?.doctor.generated_at ?? verifies[0]?.verify.generated_at ?? null,
    cells,
    boot,
    tests,
    problems,
    timelines,
    files: input.documents.map((d) => d.file),
  };
}

/** Returns the end of a timeline: its total, or its last stage's end if that is later. */
export function timelineEnd(timeline: TimelineView): number {
  return Math.max(timeline.totalMs, ...timeline.stages.map((s) => (s.start_ms ?? 0) + s.duration_ms));
}

/** Builds the fleet view: hosts sorted by name, the union of their checks as columns, verdict counts, one time axis. Pure. */
export function buildFleet(inputs: readonly HostInput[]): FleetView {
  const hosts = inputs.map(buildHost).sort((a, b) => a.name.localeCompare(b.name));
  const checks: string[] = [];
  for (const host of hosts) for (const name of Object.keys(host.cells)) if (!checks.includes(name)) checks.push(name);
  const counts = { 'not-ready': 0, 'boot-failed': 0, 'tests-failed': 0, warnings: 0, ready: 0, unknown: 0 } satisfies Record<HostVerdict, number>;
  for (const host of hosts) counts[host.verdict]++;
  const axisMs = Math.max(0, ...hosts.flatMap((h) => h.timelines.map(timelineEnd)));
  return { hosts, checks, counts, axisMs };
}
