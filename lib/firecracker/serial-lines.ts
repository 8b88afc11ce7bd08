/**
 * Finds the success marker in serial output that arrives in arbitrary pieces. In `line` mode (the
 * default) the marker counts only as a complete line of its own: CR/LF or LF ends a line, bytes are
 * decoded per line (a chunk may cut a UTF-8 character), a partial last line never counts, and the
 * kernel's echo of its command line never counts. `contains` mode (for prompts such as `login:`)
 * accepts the marker anywhere in a line or in the unterminated last line, except in the echo.
 */

/** How the marker must appear. */
export type MarkerMatch = 'line' | 'contains';

/** A line of serial output and its 1-based number. */
export interface SerialLine {
  lineNumber: number;
  text: string;
}

/** What the scan has seen so far. */
export interface SerialScan {
  found: SerialLine | null;
  /** Lines that contain the marker but do not count (first three). */
  nearMisses: SerialLine[];
  /** The first `Kernel panic - not syncing:` line, if any. */
  panic: SerialLine | null;
  /** Complete lines seen. */
  lines: number;
  /** Complete lines that are not Firecracker's own log lines (which share stdout until PUT /logger). */
  guestLines: number;
  /** Bytes seen. */
  bytes: number;
  /** The unterminated last line, decoded. */
  partial: string;
}

const NEWLINE = 0x0a;
/** `2024-03-18T10:00:00.123456789 [id:thread…] message`: Firecracker's log line format. */
const FIRECRACKER_LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9} \[[^\]]*\] /;
const ECHO = /(?:^|\]\s|^\s*)(?:Kernel )?[Cc]ommand line:/;

/** Incremental marker scanner; feed it with push(), read the state from scan(). */
export class SerialLineScanner {
  private pending: Buffer = Buffer.alloc(0);
  private state: SerialScan = { found: null, nearMisses: [], panic: null, lines: 0, guestLines: 0, bytes: 0, partial: '' };
  private listeners: Array<(line: SerialLine) => void> = [];

  constructor(
    readonly marker: string,
    readonly match: MarkerMatch = 'line',
  ) {
    if (marker === '' || /[\r\n]/.test(marker)) throw new Error('the marker must be non-empty text without line breaks');
  }

  /** Calls `listener` once, when the marker is found (at once if it already was). */
  onFound(listener: (line: SerialLine) => void): void {
    if (this.state.found) listener(this.state.found);
    else this.listeners.push(listener);
  }

  /** Feeds bytes as they arrived. */
  push(chunk: Buffer): void {
    this.state.bytes += chunk.length;
    let data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE)) {
      this.completeLine(data.subarray(0, end).toString('utf8').replace(/\r+$/, ''));
      data = data.subarray(end + 1);
    }
    this.pending = Buffer.from(data);
    this.state.partial = this.pending.toString('utf8').replace(/\r+$/, '');
    if (this.match === 'contains' && !this.state.found && this.counts(this.state.partial)) {
      this.foundAt({ lineNumber: this.state.lines + 1, text: this.state.partial });
    }
  }

  /** Returns a snapshot of what was seen. */
  scan(): SerialScan {
    return { ...this.state, nearMisses: [...this.state.nearMisses] };
  }

  private completeLine(text: string): void {
    const line = { lineNumber: ++this.state.lines, text };
    if (!FIRECRACKER_LOG_LINE.test(text)) this.state.guestLines++;
    if (!this.state.panic && text.includes('Kernel panic - not syncing:')) this.state.panic = line;
    if (this.state.found) return;
    if (this.match === 'line' ? text === this.marker : this.counts(text)) this.foundAt(line);
    else if (text.includes(this.marker) && this.state.nearMisses.length < 3) this.state.nearMisses.push(line);
  }

  private counts(text: string): boolean {
    return text.includes(this.marker) && !ECHO.test(text);
  }

  private foundAt(line: SerialLine): void {
    this.state.found = line;
    for (const listener of this.listeners.splice(0)) listener(line);
  }
}
