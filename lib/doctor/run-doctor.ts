import type { Config, LoadedConfig } from '../config/index.ts';
import { variables } from '../config/variables.ts';
import { VerifyError, describeError } from '../errors.ts';
import { gatherHostFacts, type HostFacts } from '../host/host-facts.ts';
import type { Host, Identity } from '../host/types.ts';
import { detectWsl, type WslDetection } from '../host/wsl.ts';
import type { Check, CheckContext, CheckResult } from './check.ts';
import { allChecks } from './checks/index.ts';
import type { HintEnvironment } from './hint-environment.ts';
import { hints } from './hints.ts';
import { buildDoctorReport, type DoctorCheckEntry, type DoctorReport } from './report.ts';
import { clip } from './verdict.ts';

/** Time for the report: a monotonic millisecond counter and the wall-clock timestamp. */
export interface DoctorClock {
  now(): number;
  isoNow(): string;
}

/** The real clock. */
export const systemClock: DoctorClock = { now: () => performance.now(), isoNow: () => new Date().toISOString() };

/** A check that has not finished after this long becomes a fatal finding (its own probes time out sooner). */
export const CHECK_TIMEOUT_MS = 15_000;

/** Inputs to one doctor run: config → host → checks → one report. */
export interface RunDoctorOptions {
  host: Host;
  config: Config;
  /** Where each config value came from (loadConfig's `sources`), recorded in the report. */
  sources?: LoadedConfig['sources'];
  /** The checks to run, in report order (default: allChecks). */
  checks?: readonly Check[];
  /** Warnings fail the run with exit 3. */
  strict?: boolean;
  /** `concurrent` (default) starts every check whose requirements are met at once; `sequential` runs them one by one. */
  schedule?: 'concurrent' | 'sequential';
  clock?: DoctorClock;
  checkTimeoutMs?: number;
  /** How commands run here, for the hints (the CLI gathers it; default: DEFAULT_HINT_ENVIRONMENT). */
  hintEnvironment?: HintEnvironment;
  /** Replaces gatherHostFacts (golden tests pin the facts). */
  gatherFacts?: (host: Host, config: Config) => Promise<HostFacts>;
}

interface RunState {
  base: Omit<CheckContext, 'results'>;
  clock: DoctorClock;
  timeoutMs: number;
}

/**
 * Runs the doctor: every check with the same context, an exception inside a check turned into a
 * failed result, a check whose `requires` did not pass skipped with the reason; returns one report.
 */
export async function runDoctor(options: RunDoctorOptions): Promise<DoctorReport> {
  const { host, config } = options;
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const generatedAt = clock.isoNow();
  const checks = options.checks ?? allChecks;
  assertWellFormed(checks);
  const [wsl, identity] = await Promise.all([detectWsl(host), host.users.runtimeIdentity()]);
  const gather = options.gatherFacts ?? ((h: Host, c: Config) => gatherHostFacts(h, { firecrackerBin: c.firecrackerBin }));
  const factsPromise = gather(host, config).catch((error: unknown) => ({ host_facts_error: describeError(error) }));
  const state: RunState = { base: { host, config, wsl, identity, hintEnvironment: options.hintEnvironment }, clock, timeoutMs: options.checkTimeoutMs ?? CHECK_TIMEOUT_MS };

  const entries = new Map<string, Promise<DoctorCheckEntry>>();
  for (const check of checks) {
    const previous = options.schedule === 'sequential' ? [...entries.values()].at(-1) : undefined;
    const requirements = (check.requires ?? []).map((id) => entries.get(id)!);
    entries.set(check.id, (previous ?? Promise.resolve()).then(async () => runOne(check, await Promise.all(requirements), state)));
  }
  const results = await Promise.all(entries.values());
  const facts = await factsPromise;
  return buildDoctorReport({
    checks: results,
    generatedAt,
    strict: options.strict ?? false,
    runtime: config.runtime,
    host: { ...facts, runtime_user: describeIdentity(identity), ...describeWsl(wsl), ...Object.assign({}, ...results.map((r) => r.facts)) },
    configSources: describeSources(options.sources),
    durationMs: Math.round(clock.now() - started),
  });
}

/** Check ids are unique and a check only requires checks listed before it (so there is no cycle). */
function assertWellFormed(checks: readonly Check[]): void {
  const seen = new Set<string>();
  for (const check of checks) {
    if (seen.has(check.id)) throw new VerifyError({ code: 'DOCTOR_CHECKS_INVALID', summary: `two doctor checks share the id "${check.id}"` });
    const unknown = (check.requires ?? []).filter((id) => !seen.has(id));
    if (unknown.length > 0) {
      throw new VerifyError({
        code: 'DOCTOR_CHECKS_INVALID',
        summary: `doctor check "${check.id}" requires ${unknown.join(', ')}, which is not listed before it`,
        hint: 'List a check after every check it requires (lib/doctor/checks/index.ts).',
      });
    }
    seen.add(check.id);
  }
}

async function runOne(check: Check, required: DoctorCheckEntry[], state: RunState): Promise<DoctorCheckEntry> {
  const started = state.clock.now();
  const unmet = required.filter((entry) => !entry.ok).map((entry) => entry.name);
  let result: CheckResult;
  if (unmet.length > 0) {
    const reason = `needs ${unmet.join(', ')} to pass first`;
    result = { ok: false, severity: 'info', details: `skipped: ${reason}`, hint: `Fix ${unmet.join(', ')} first, then run the doctor again.`, skipped: reason };
  } else {
    const results = new Map(required.map((entry) => [entry.name, toResult(entry)] as const));
    result = await runGuarded(check, { ...state.base, results }, state.timeoutMs);
  }
  return {
    name: check.id,
    ok: result.ok,
    severity: result.severity,
    details: clip(result.details, 500),
    hint: clip(result.hint, 1000),
    title: check.title,
    skipped: result.skipped ?? null,
    duration_ms: Math.round(state.clock.now() - started),
    facts: result.facts ?? {},
  };
}

/** Runs one check; an exception or a hang becomes a fatal result that says so. */
async function runGuarded(check: Check, ctx: CheckContext, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, severity: 'fatal', details: `${check.id} check did not finish within ${timeoutMs / 1000} s`, hint: hints.checkTimedOut() }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([check.run(ctx), timeout]);
  } catch (error) {
    const hint = error instanceof VerifyError && error.hint ? error.hint : hints.checkCrashed();
    return { ok: false, severity: 'fatal', details: `${check.id} check crashed: ${describeError(error)}`, hint };
  } finally {
    clearTimeout(timer);
  }
}

function toResult(entry: DoctorCheckEntry): CheckResult {
  const result: CheckResult = { ok: entry.ok, severity: entry.severity, details: entry.details, hint: entry.hint, facts: entry.facts };
  return entry.skipped === null ? result : { ...result, skipped: entry.skipped };
}

function describeIdentity(who: Identity): string {
  return `${who.name} (uid ${who.uid}${who.viaSudo ? ', via sudo' : ''})`;
}

function describeWsl(wsl: WslDetection): HostFacts {
  return { wsl: wsl.wsl ? `yes (${wsl.evidence})` : 'no' };
}

/** Returns each setting's source keyed by its variable name: "default", "env NAME" or "file:line (NAME)". */
export function describeSources(sources: LoadedConfig['sources'] | undefined): Record<string, string> {
  const described: Record<string, string> = {};
  for (const [field, spec] of Object.entries(variables)) {
    const source = sources?.[field as keyof typeof variables];
    if (!source) continue;
    described[spec.name] = source.kind === 'default' ? 'default' : source.kind === 'env' ? `env ${source.name}` : `${source.file}:${source.line} (${source.name})`;
  }
  return described;
}
