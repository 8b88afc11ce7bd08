/** The doctor: checks as values, one run → one report, three renderings, and the fail-hard gate. */
export type { Check, CheckContext, CheckResult, Severity } from './check.ts';
export { allChecks } from './checks/index.ts';
export { runDoctor, systemClock, CHECK_TIMEOUT_MS, type RunDoctorOptions, type DoctorClock } from './run-doctor.ts';
export { buildDoctorReport, DOCTOR_EXIT, type DoctorReport, type DoctorCheckEntry, type DoctorExitCode } from './report.ts';
export { renderDoctorJson, toDoctorJson, type DoctorJson, type DoctorCheckJson } from './render-json.ts';
export { renderDoctorText, statusLabel, type TextOptions } from './render-text.ts';
export { renderDoctorJUnit } from './render-junit.ts';
export { assertRuntimeReady, enforceRuntimeGate } from './gate.ts';
export { passed, failed, passedWithWarning, clip } from './verdict.ts';
export { hints, hintContextOf, type HintContext } from './hints.ts';
