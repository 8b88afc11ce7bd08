/**
 * Coalesces device listings. A listing is one `ip` process that prints every device (about 1.5 MB
 * of JSON for 500 labs), so requests that arrive together should share one. alloc and release
 * need a listing that started after they asked (they plan changes on it); diag and list may take
 * one already running. At most one listing runs at a time: callers arriving meanwhile share the
 * next one, which starts as soon as the running one ends.
 */

/** A listing and the moment it started (the address book's mark, taken right before it). */
export interface Listing<T> {
  value: T;
  mark: number;
}

/** The two ways to ask. */
export interface LinkReader<T> {
  /** A listing that starts after this call (shared with every caller that asked before it starts). */
  fresh(): Promise<Listing<T>>;
  /** The listing running now if there is one, else a fresh one. */
  any(): Promise<Listing<T>>;
}

/** Returns a reader over `read`; `mark()` is called right before each listing starts. */
export function createLinkReader<T>(read: () => Promise<T>, mark: () => number): LinkReader<T> {
  let running: Promise<Listing<T>> | null = null;
  let queued: Promise<Listing<T>> | null = null;

  function start(): Promise<Listing<T>> {
    const at = mark();
    const listing = read().then((value) => ({ value, mark: at }));
    running = listing;
    const clear = () => {
      if (running === listing) running = null;
    };
    listing.then(clear, clear);
    return listing;
  }

  function fresh(): Promise<Listing<T>> {
    if (queued) return queued;
    if (!running) return start();
    const after = running.then(
      () => undefined,
      () => undefined,
    );
    const next = after.then(() => {
      queued = null;
      return start();
    });
    queued = next;
    return next;
  }

  return { fresh, any: () => running ?? fresh() };
}
