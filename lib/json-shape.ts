/**
 * The project's own JSON in one key style: snake_case keys, durations in milliseconds rounded to
 * 0.1 (`*_ms`), sets as arrays and maps as objects. Renderers build their objects in camelCase as
 * the code does and pass them through here once, just before JSON.stringify. The `tool` object and
 * the rounding rule are lib/json-style.ts's, shared with the boot and verify JSON.
 */

import { roundMs } from './json-style.ts';

/** Returns `labId` → `lab_id`, `totalMs` → `total_ms`; snake_case stays as it is. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}


/** Deep-converts a value for output: snake_case keys (a Map's keys stay as they are), `*_ms` numbers rounded, Sets as arrays. Pure. */
export function toOutputJson(value: unknown, key = ''): unknown {
  if (value instanceof Set) return [...value].map((v) => toOutputJson(v));
  // A Map's keys are data (lab ids, paths): kept as they are.
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toOutputJson(v)]));
  if (Array.isArray(value)) return value.map((v) => toOutputJson(v));
  if (typeof value === 'number') return key.endsWith('_ms') && Number.isFinite(value) ? roundMs(value) : value;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const name = snakeCase(k);
      out[name] = toOutputJson(v, name);
    }
    return out;
  }
  return value;
}

/** Renders the value as this project's pretty JSON, with a trailing newline. Pure. */
export function renderOutputJson(value: unknown): string {
  return `${JSON.stringify(toOutputJson(value), null, 2)}\n`;
}
