/**
 * Finds where one JSON object ends in a byte stream, so the daemon can answer as soon as a
 * complete request has arrived, whether or not the client half-closes. It tracks only strings,
 * escapes and brace depth; whether the bytes are valid JSON is JSON.parse's job afterwards.
 */

/** Where the scan stands after the bytes seen so far. */
export type FrameState =
  | { kind: 'empty' }
  | { kind: 'incomplete' }
  /** The object ends just before byte `end`. */
  | { kind: 'complete'; end: number }
  /** The first non-blank byte is not `{`: this can never become a request object. */
  | { kind: 'not-object' };

const OPEN = 0x7b;
const CLOSE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** JSON whitespace: space, tab, LF, CR. */
function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** An incremental scanner: push each chunk, read the state; it scans every byte once. */
export class RequestFrameScanner {
  private scanned = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;
  private state: FrameState = { kind: 'empty' };

  /** Scans the bytes of `buffer` not seen yet (`buffer` is everything received, in order). */
  scan(buffer: Buffer): FrameState {
    if (this.state.kind === 'complete' || this.state.kind === 'not-object') return this.state;
    for (let i = this.scanned; i < buffer.length; i++) {
      const byte = buffer[i]!;
      if (!this.started) {
        if (isBlank(byte)) continue;
        if (byte !== OPEN) return this.settle(i, { kind: 'not-object' });
        this.started = true;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
        continue;
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN || byte === 0x5b) this.depth++;
      else if (byte === CLOSE || byte === 0x5d) {
        this.depth--;
        if (this.depth === 0) return this.settle(i, { kind: 'complete', end: i + 1 });
      }
    }
    this.scanned = buffer.length;
    this.state = this.started ? { kind: 'incomplete' } : { kind: 'empty' };
    return this.state;
  }

  private settle(index: number, state: FrameState): FrameState {
    this.scanned = index + 1;
    this.state = state;
    return state;
  }
}
