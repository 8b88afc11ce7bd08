import type { CheckResult, Severity } from './check.ts';

/** Returns a passing result: ok, severity info, no hint. */
export function passed(details: string, facts?: Record<string, string>): CheckResult {
  return facts ? { ok: true, severity: 'info', details, hint: '', facts } : { ok: true, severity: 'info', details, hint: '' };
}

/** Returns a failing result of the given severity; a failure always says what to do next. */
export function failed(severity: Exclude<Severity, 'info'>, details: string, hint: string, facts?: Record<string, string>): CheckResult {
  return facts ? { ok: false, severity, details, hint, facts } : { ok: false, severity, details, hint };
}

/** Returns upstream's "passed but severity warn" result (e.g. jailer present but --version fails). */
export function passedWithWarning(details: string, hint: string, facts?: Record<string, string>): CheckResult {
  return facts ? { ok: true, severity: 'warn', details, hint, facts } : { ok: true, severity: 'warn', details, hint };
}

// C0 controls, DEL and C1 controls: output from a binary or a socket must never drive the terminal.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Returns untrusted text (a binary's output, a daemon's reply) made safe to show: control
 * characters removed, line breaks turned into spaces, trimmed, and cut to `max` characters
 * with `...` as upstream's doctors do.
 */
export function clip(text: string, max = 200): string {
  const flat = text.replace(/\r/g, '').replace(/[\n\t]+/g, ' ').replace(CONTROL, '').trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 3))}...`;
}
