import type { Config } from '../config/index.ts';
import type { Host, Identity } from '../host/types.ts';
import type { WslDetection } from '../host/wsl.ts';
import type { HintEnvironment } from './hint-environment.ts';

/** How bad a failed check is; upstream's values, kept as they are for JSON consumers. */
export type Severity = 'info' | 'warn' | 'fatal';

/**
 * The verdict of one check. `ok` false with severity fatal blocks the runtime; warn never does.
 * `skipped` says why a check did not run (a precondition failed); a skipped check is not ok.
 */
export interface CheckResult {
  ok: boolean;
  severity: Severity;
  details: string;
  /** What to do next; empty when ok. */
  hint: string;
  skipped?: string;
  /** Extra facts the check saw (versions, modes, stage reached), added to the report's host facts. */
  facts?: Record<string, string>;
}

/** What every check receives: the one door to the OS, the config, and what earlier checks found. */
export interface CheckContext {
  host: Host;
  config: Config;
  wsl: WslDetection;
  /** The user whose access is judged (the invoking user under sudo). */
  identity: Identity;
  /** How commands run on this host, so hints print commands that work here (default: DEFAULT_HINT_ENVIRONMENT). */
  hintEnvironment?: HintEnvironment;
  /** Results of the checks listed in `requires`, by id (checks may run concurrently, so nothing else is promised). */
  results: ReadonlyMap<string, CheckResult>;
}

/** A doctor check is a value: an id (upstream's name), a title, preconditions and a run function. */
export interface Check {
  id: string;
  title: string;
  /** Ids of checks that must have passed for this one to run; otherwise it is skipped with a reason. */
  requires?: readonly string[];
  run(ctx: CheckContext): Promise<CheckResult>;
}
