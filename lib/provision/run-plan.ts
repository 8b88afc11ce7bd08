/**
 * Setup and rollback are lists of steps, as values: each has an id, a title, the lines `--dry-run`
 * prints, and a `run` that says what it did. Tests replace one step (e.g. the doctor) by id.
 */
import { VerifyError, describeError } from '../errors.ts';
import { renderOutputJson } from '../json-shape.ts';
import { toolJson } from '../json-style.ts';

/** What one step did. */
export interface StepOutcome {
  status: 'done' | 'unchanged' | 'skipped';
  /** One line for the operator. */
  detail: string;
  /** Extra text to print after the step (e.g. the doctor's report). */
  output?: string;
  /** An exit code the step wants the command to end with (the doctor's 0 or 2). */
  exitCode?: number;
}

/** One step of a plan. */
export interface PlanStep {
  id: string;
  title: string;
  /** What the step will do, for `--dry-run` (first line is the summary). */
  plan: string[];
  run(): Promise<StepOutcome>;
}

/** One step's line in the result. */
export interface StepReport {
  id: string;
  title: string;
  status: StepOutcome['status'] | 'failed' | 'not-run';
  detail: string;
  output?: string;
  exitCode?: number;
}

/** The result of running a plan: every step's report and the first failure, if any. */
export interface PlanResult {
  ok: boolean;
  steps: StepReport[];
  error: unknown;
}

/** Runs the steps in order; stops at the first failure (later steps are `not-run`). Never throws for a step's error. */
export async function runPlan(steps: readonly PlanStep[], onStep?: (report: StepReport) => void): Promise<PlanResult> {
  const reports: StepReport[] = [];
  let error: unknown = null;
  for (const step of steps) {
    let report: StepReport;
    if (error !== null) {
      report = { id: step.id, title: step.title, status: 'not-run', detail: 'not run: an earlier step failed' };
    } else {
      try {
        report = { id: step.id, title: step.title, ...(await step.run()) };
      } catch (caught) {
        error = caught;
        report = { id: step.id, title: step.title, status: 'failed', detail: describeError(caught) };
      }
    }
    reports.push(report);
    onStep?.(report);
  }
  return { ok: error === null, steps: reports, error };
}

/** Returns the plan with the step `id` replaced; throws when there is no such step. */
export function replacePlanStep(steps: readonly PlanStep[], id: string, step: PlanStep): PlanStep[] {
  if (!steps.some((s) => s.id === id)) throw new RangeError(`no step "${id}" in the plan (${steps.map((s) => s.id).join(', ')})`);
  return steps.map((s) => (s.id === id ? step : s));
}

/** Renders the plan for `--dry-run`: numbered steps with their lines. Pure. */
export function renderPlan(heading: string, steps: readonly PlanStep[]): string {
  const lines = [heading];
  steps.forEach((step, index) => {
    const [first = step.title, ...rest] = step.plan;
    lines.push(`  ${String(index + 1).padStart(2)}. ${step.id.padEnd(12)} ${first}`);
    for (const line of rest) lines.push(`${' '.repeat(19)}${line}`);
  });
  return `${lines.join('\n')}\n`;
}

const MARK: Record<StepReport['status'], string> = { done: 'done', unchanged: 'ok  ', skipped: 'skip', failed: 'FAIL', 'not-run': '--  ' };

/** Renders one step's result line (and its output). Pure. */
export function renderStepReport(report: StepReport): string {
  const line = `[${MARK[report.status]}] ${report.id.padEnd(12)} ${report.detail}\n`;
  return report.output ? `${line}${report.output.endsWith('\n') ? report.output : `${report.output}\n`}` : line;
}

/** Renders the closing error of a failed plan with its parts (attempted, reason, hint). Pure. */
export function renderPlanError(error: unknown): string {
  return error instanceof VerifyError ? `${error.message}\n` : `${describeError(error)}\n`;
}

/** Renders a finished plan as this project's JSON: every step's outcome, the error, the exit code. Pure. */
export function renderPlanJson(result: PlanResult, exitCode: number): string {
  const steps = result.steps.map(({ output: _output, ...step }) => step);
  const error = result.error === null ? null : result.error instanceof VerifyError ? { code: result.error.code, message: result.error.summary, hint: result.error.hint ?? null } : { code: 'ERROR', message: describeError(result.error), hint: null };
  return renderOutputJson({ tool: toolJson(), ok: result.ok, exitCode, steps, error });
}
