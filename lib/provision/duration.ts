import { UsageError } from '../errors.ts';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses a duration such as `90s`, `10m`, `2h`, `1d` or `1h30m` into milliseconds; anything else is a UsageError. */
export function parseDuration(text: string, option = '--older-than'): number {
  const value = text.trim().toLowerCase();
  const parts = [...value.matchAll(/(\d+)([smhd])/g)];
  if (value === '' || parts.map((p) => p[0]).join('') !== value) {
    throw new UsageError({
      code: 'USAGE',
      summary: `${option} ${JSON.stringify(text)} is not a duration`,
      hint: `Use a number with a unit: s, m, h or d (e.g. ${option} 10m, 2h, 1d, 1h30m).`,
    });
  }
  const ms = parts.reduce((sum, [, count, unit]) => sum + Number(count) * UNIT_MS[unit as keyof typeof UNIT_MS], 0);
  if (!Number.isSafeInteger(ms)) throw new UsageError({ code: 'USAGE', summary: `${option} ${JSON.stringify(text)} is too large` });
  return ms;
}

/** Renders milliseconds as a short age (`45s`, `12m`, `3h`, `2d`) for messages. */
export function renderAge(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}
