import { UsageError } from '../errors.ts';
import type { DoctorJson } from '../doctor/render-json.ts';
import type { BootJson } from '../firecracker/boot-result.ts';
import { listCases, type CaseOutcome } from '../junit/count.ts';
import type { VerifyJson } from '../verify/verify-json.ts';

/** One report file, read and recognised. */
export type ReportDocument =
  | { kind: 'doctor'; file: string; doctor: DoctorJson }
  | { kind: 'boot'; file: string; boot: BootJson }
  | { kind: 'verify'; file: string; verify: VerifyJson }
  | { kind: 'junit'; file: string; cases: CaseOutcome[] };

/** The report kinds, as named in messages. */
const EXPECTED = 'a doctor report (doctor --json), a boot result (boot --json), verify.json, or JUnit XML';

/** A UsageError (exit 64) that names the file, what is wrong with it, and what to do. */
export function inputError(file: string, problem: string, fix: string): UsageError {
  return new UsageError({ code: 'REPORT_INPUT', summary: `${file}: ${problem}`, hint: fix });
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';

/** The first field of `fields` that `object` lacks or holds with the wrong type, or null. */
function wrongField(object: Json, fields: Record<string, (value: unknown) => boolean>): string | null {
  for (const [name, valid] of Object.entries(fields)) if (!valid(object[name])) return name;
  return null;
}

function checkShape(file: string, object: Json, what: string, fields: Record<string, (value: unknown) => boolean>, fix: string): void {
  const wrong = wrongField(object, fields);
  if (wrong) throw inputError(file, `looks like ${what} but its "${wrong}" field is missing or of the wrong type`, fix);
}

const CHECK_FIELDS = { name: isString, ok: (v: unknown) => typeof v === 'boolean', severity: (v: unknown) => v === 'info' || v === 'warn' || v === 'fatal', details: isString, hint: isString };
const STAGE_FIELDS = { name: isString, title: isString, status: (v: unknown) => v === 'passed' || v === 'failed' || v === 'stopped' || v === 'not-run', start_ms: (v: unknown) => v === null || typeof v === 'number', duration_ms: (v: unknown) => typeof v === 'number' };

function classifyJson(file: string, json: unknown): ReportDocument {
  if (!isObject(json)) throw inputError(file, `is JSON but not ${EXPECTED}`, 'leave it out, or name the report files one by one');
  if (Array.isArray(json.checks) && 'generated_at' in json) {
    const fix = 'write it again with `octolab-verify doctor --json > doctor.json`';
    checkShape(file, json, 'a doctor report', { ok: (v) => typeof v === 'boolean', summary: isString, generated_at: isString, fatal_count: (v) => typeof v === 'number', warn_count: (v) => typeof v === 'number' }, fix);
    for (const check of json.checks as unknown[]) checkShape(file, isObject(check) ? check : {}, 'a doctor report whose checks', CHECK_FIELDS, fix);
    return { kind: 'doctor', file, doctor: json as unknown as DoctorJson };
  }
  if ('labId' in json && 'stages' in json) {
    throw inputError(file, 'is a boot result in the old camelCase shape (labId, totalMs)', 'run the boot again with this version (`octolab-verify boot --json > boot.json`): its JSON has snake_case keys and a stage timeline');
  }
  if ('lab_id' in json && Array.isArray(json.stages)) {
    const fix = 'write it again with `octolab-verify boot --json > boot.json`';
    checkShape(file, json, 'a boot result', { ok: (v) => typeof v === 'boolean', lab_id: isString, total_ms: (v) => typeof v === 'number', failed_stage: (v) => v === null || isString(v) }, fix);
    for (const stage of json.stages as unknown[]) checkShape(file, isObject(stage) ? stage : {}, 'a boot result whose stages', STAGE_FIELDS, fix);
    return { kind: 'boot', file, boot: json as unknown as BootJson };
  }
  if ('verdict' in json && isObject(json.doctor) && Array.isArray(json.stages)) {
    const fix = 'write it again with `octolab-verify verify --json > verify.json`';
    checkShape(file, json, 'a verify result', { ok: (v) => typeof v === 'boolean', verdict: isString, exit_code: (v) => typeof v === 'number' }, fix);
    for (const stage of json.stages as unknown[]) checkShape(file, isObject(stage) ? stage : {}, 'a verify result whose stages', STAGE_FIELDS, fix);
    return { kind: 'verify', file, verify: json as unknown as VerifyJson };
  }
  throw inputError(file, `is JSON but not ${EXPECTED} (none of their fields are there)`, 'leave it out, or name the report files one by one');
}

function classifyXml(file: string, text: string): ReportDocument {
  if (!/<testsuites?[\s>/]/.test(text)) throw inputError(file, 'is XML but not JUnit (no <testsuites> or <testsuite> element)', 'leave it out; JUnit comes from the suites (reports/junit-*.xml) or `doctor --junit FILE`');
  return { kind: 'junit', file, cases: listCases(text) };
}

/**
 * Recognises one report file by its content: JSON (doctor, boot, verify) or JUnit XML. Anything
 * else is a UsageError naming the file and the fix: an empty file, broken JSON, foreign JSON or
 * XML, a boot result in the old shape.
 */
export function classifyReport(file: string, text: string): ReportDocument {
  const start = text.trimStart();
  if (start === '') throw inputError(file, 'is empty', 'the step that writes it failed before writing: look at that step, or leave the file out');
  if (start.startsWith('<')) return classifyXml(file, start);
  if (start.startsWith('{') || start.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(start);
    } catch (error) {
      throw inputError(file, `is not valid JSON (${(error as Error).message})`, 'the step that writes it was cut short or printed something else: write it again, or leave it out');
    }
    return classifyJson(file, json);
  }
  throw inputError(file, `is neither JSON nor XML: not ${EXPECTED}`, 'leave it out, or name the report files one by one');
}
