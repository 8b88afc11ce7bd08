/** Serialises async work per key: calls with the same key run one after another, others run concurrently. */
export interface KeyedLock {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Keys with work queued or running (for tests and shutdown diagnostics). */
  readonly busyKeys: number;
}

/** Returns a lock whose queues are dropped as soon as they drain, so memory stays bounded. */
export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run<T>(key: string, work: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      // `previous` is a tail that never rejects: run after it settles, whatever its holder's outcome.
      const current = previous.then(() => work());
      const tail = current.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      try {
        return await current;
      } finally {
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
    get busyKeys() {
      return tails.size;
    },
  };
}
