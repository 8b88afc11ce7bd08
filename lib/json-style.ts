import { TOOL_NAME, TOOL_VERSION } from './version.ts';

/** The `tool` object every JSON document of this project carries: who wrote it, which version. */
export interface ToolJson {
  name: string;
  version: string;
}

/** Returns `{name, version}` of this tool, for the `tool` field of its JSON documents. */
export function toolJson(): ToolJson {
  return { name: TOOL_NAME, version: TOOL_VERSION };
}

/** Returns milliseconds rounded to 0.1, the precision of every `*_ms` field this project writes. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** One stage of a timeline (a boot's steps, verify's phases) as JSON; start relative to the run's start. */
export interface StageJson {
  name: string;
  title: string;
  /** `stopped`: it ran alongside the stage the run ended at and was told to stop (a boot's background rootfs copy). */
  status: 'passed' | 'failed' | 'stopped' | 'not-run';
  /** Null for a stage that did not run. */
  start_ms: number | null;
  duration_ms: number;
}

/** A stage's timing as the library keeps it (a boot step, a verify phase); ms after the run's start. */
export interface StageTimingLike {
  name: string;
  title: string;
  status: 'passed' | 'failed' | 'stopped' | 'not-run';
  startMs: number | null;
  ms: number;
}

/** Returns one stage's timing as JSON, times rounded to 0.1 ms. */
export function stageToJson(stage: StageTimingLike): StageJson {
  return { name: stage.name, title: stage.title, status: stage.status, start_ms: stage.startMs === null ? null : roundMs(stage.startMs), duration_ms: roundMs(stage.ms) };
}
