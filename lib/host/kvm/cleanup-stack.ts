/**
 * Undo steps registered as resources are acquired (fds, mappings, timers) and run in reverse,
 * always, each one even when an earlier one failed. Failures are collected, never thrown here.
 */

/** One undo step: returns a libc-style status (negative = failed) or throws. */
export interface Cleanup {
  what: string;
  undo(): number | void;
}

/** A LIFO list of undo steps. */
export class CleanupStack {
  private readonly steps: Cleanup[] = [];

  /** Registers an undo step for a resource just acquired. */
  push(what: string, undo: () => number | void): void {
    this.steps.push({ what, undo });
  }

  /** How many undo steps are registered and not yet run. */
  get size(): number {
    return this.steps.length;
  }

  /** Runs every step, newest first; returns one line per step that failed (`describeFailure` names the errno). */
  runAll(describeFailure: () => string): string[] {
    const failures: string[] = [];
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        const status = step.undo();
        if (typeof status === 'number' && status < 0) failures.push(`${step.what}: ${describeFailure()}`);
      } catch (error) {
        failures.push(`${step.what}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
    }
    return failures;
  }
}
