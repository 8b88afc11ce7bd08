import type { StageTimingLike } from '../json-style.ts';

/** Monotonic milliseconds (the doctor's clock fits). */
export interface TimelineClock {
  now(): number;
}

/**
 * Records a run's phases as stages on one time axis (start after the run's start, duration), the
 * same timeline a boot reports, so that `verify --json` and the fleet report can draw it.
 */
export class Timeline {
  readonly #clock: TimelineClock;
  readonly #started: number;
  readonly #stages: StageTimingLike[] = [];

  constructor(clock: TimelineClock) {
    this.#clock = clock;
    this.#started = clock.now();
  }

  /** Runs one phase and records it; `failed` says whether its result counts as a failure. A throw is recorded as failed, then rethrown. */
  async run<T>(name: string, title: string, work: () => Promise<T>, failed: (result: T) => boolean = () => false): Promise<T> {
    const start = this.#clock.now();
    const record = (status: 'passed' | 'failed') => this.#stages.push({ name, title, status, startMs: start - this.#started, ms: this.#clock.now() - start });
    let result: T;
    try {
      result = await work();
    } catch (error) {
      record('failed');
      throw error;
    }
    record(failed(result) ? 'failed' : 'passed');
    return result;
  }

  /** Records a phase that did not run. */
  skip(name: string, title: string): void {
    this.#stages.push({ name, title, status: 'not-run', startMs: null, ms: 0 });
  }

  /** The stages so far, in order. */
  stages(): StageTimingLike[] {
    return [...this.#stages];
  }

  /** Milliseconds since the run started. */
  elapsedMs(): number {
    return this.#clock.now() - this.#started;
  }
}
