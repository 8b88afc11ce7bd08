import type { StageJson } from '../json-style.ts';

/** One bar of a waterfall: where it starts and how wide it is, in percent of the shared axis. */
export interface Bar {
  stage: StageJson;
  leftPct: number;
  widthPct: number;
}

/** A tick on the time axis: its position in percent and its label. */
export interface Tick {
  pct: number;
  label: string;
}

/** Formats a time for an axis or a bar: `850 ms`, `2.3 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
}

/** The step between ticks: 1, 2 or 5 times a power of ten, giving about five ticks over `axisMs`. */
export function tickStep(axisMs: number): number {
  if (!(axisMs > 0)) return 1;
  const rough = axisMs / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough)!;
}

/** The ticks of an axis from 0 to `axisMs` (inclusive of 0, never past the end). */
export function axisTicks(axisMs: number): Tick[] {
  const step = tickStep(axisMs);
  const ticks: Tick[] = [];
  for (let t = 0; t <= axisMs + 1e-9 && axisMs > 0; t += step) ticks.push({ pct: (t / axisMs) * 100, label: formatMs(t) });
  return ticks;
}

/**
 * Lays out a run's stages on an axis of `axisMs`: one bar per stage at its start with its
 * duration; a stage that did not run sits at `endMs` (where the run stopped) with no width.
 * Percentages are clamped to the axis.
 */
export function layoutBars(stages: readonly StageJson[], axisMs: number, endMs: number): Bar[] {
  const pct = (ms: number) => (axisMs > 0 ? Math.min(100, Math.max(0, (ms / axisMs) * 100)) : 0);
  return stages.map((stage) => {
    // A stage that did not run is a marker where the run stopped, kept inside the track.
    const left = stage.start_ms === null ? Math.min(pct(endMs), 99) : pct(stage.start_ms);
    return { stage, leftPct: left, widthPct: stage.start_ms === null ? 0 : Math.min(100 - left, pct(stage.duration_ms)) };
  });
}
