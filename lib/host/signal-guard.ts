/**
 * Keeps SIGTERM/SIGINT from killing a foreground daemon while it shuts down.
 *
 * bin/octolab-verify.mjs turns the first signal into an abort with a `process.once` listener,
 * which is gone by the time the next listener runs. execa loads signal-exit while a child
 * process (an `ip` batch) is running, and signal-exit kills the process when it finds itself
 * the only listener: the daemon would die mid-request instead of finishing it. While this guard
 * is held, it is one more listener, so the first signal only aborts. A second signal releases
 * the guard and re-raises, so it kills as usual.
 */

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Installs the guard; returns the function that removes it. */
export function guardShutdownSignals(): () => void {
  let seen = 0;
  const release = () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  function onSignal(signal: NodeJS.Signals) {
    seen++;
    if (seen < 2) return;
    release();
    process.kill(process.pid, signal);
  }
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return release;
}
