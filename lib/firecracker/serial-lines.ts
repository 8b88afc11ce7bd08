/**
 * Finds the success marker in serial output that arrives in arbitrary pieces. In `line` mode (the
 * default) the marker counts only as a complete line of its own: CR/LF or LF ends a line, bytes are
 * decoded per line (a chunk may cut a UTF-8 character), a partial last line never counts, and the
 * kernel's echo of its command line never counts. `contains` mode (for prompts such as `login:`)
 * accepts the marker anywhere in a line or in the unterminated last line, except in the echo.
 *
 * Memory and time stay linear however the guest behaves: a line keeps at most SERIAL_LINE_CAP bytes
 * of text (its start), trailing CRs are only counted, and the marker and the panic text are looked
 * for in every byte of the line as it streams past. A line longer than the cap is still counted
 * and searched, but it can never be the marker line, and its reported text is its start.
 */

/** How the marker must appear. */
export type MarkerMatch = 'line' | 'contains';

/** A line of serial output and its 1-based number. */
export interface SerialLine {
  lineNumber: number;
  /** The line without its trailing CRs; only the first SERIAL_LINE_CAP bytes of a longer line. */
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
  /** The unterminated last line, decoded (its first SERIAL_LINE_CAP bytes). */
  partial: string;
}

/** Bytes of one line's text the scanner keeps (64 KiB): far longer than any marker line. */
export const SERIAL_LINE_CAP = 64 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;
const PANIC = 'Kernel panic - not syncing:';
/** `2024-03-18T10:00:00.123456789 [id:thread…] message`: Firecracker's log line format. */
const FIRECRACKER_LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9} \[[^\]]*\] /;
const ECHO = /(?:^|\]\s|^\s*)(?:Kernel )?[Cc]ommand line:/;
/** CRs to copy from when a run of them turns out to sit inside a line. */
const CRS = Buffer.alloc(SERIAL_LINE_CAP, CR);

/** Remembers whether `needle` occurred in bytes fed in pieces after a start, keeping needle-1 bytes. */
class NeedleWatch {
  seen = false;
  private carry = Buffer.alloc(0);

  constructor(readonly needle: Buffer) {}

  /** Starts watching; `before` is what came just before the first piece (for matches across it). */
  start(before: Buffer): void {
    this.seen = false;
    this.carry = Buffer.from(before.subarray(Math.max(0, before.length - (this.needle.length - 1))));
  }

  feed(piece: Buffer): void {
    if (this.seen || piece.length === 0) return;
    const keep = this.needle.length - 1;
    // The carry plus the piece's first needle-1 bytes holds every match that straddles the cut.
    const edge = Buffer.concat([this.carry, piece.subarray(0, keep)]);
    this.seen = edge.includes(this.needle) || piece.includes(this.needle);
    const tail = piece.length >= keep ? piece.subarray(piece.length - keep) : edge.subarray(Math.max(0, edge.length - keep));
    this.carry = Buffer.from(tail);
  }
}

/** Incremental marker scanner; feed it with push(), read the state from scan(). */
export class SerialLineScanner {
  private state: Omit<SerialScan, 'partial'> = { found: null, nearMisses: [], panic: null, lines: 0, guestLines: 0, bytes: 0 };
  private listeners: Array<(line: SerialLine) => void> = [];
  // The unfinished line: its first bytes, its length without trailing CRs, and those CRs' count.
  private readonly head = Buffer.alloc(SERIAL_LINE_CAP);
  private headLength = 0;
  private lineLength = 0;
  private trailingCrs = 0;
  // Needles in the bytes past the cap (the kept start is searched as text).
  private readonly markerWatch: NeedleWatch;
  private readonly panicWatch = new NeedleWatch(Buffer.from(PANIC));
  /** contains mode: how far the kept start was searched for the marker; whether it was judged. */
  private searchedTo = 0;
  private partialJudged = false;

  constructor(
    readonly marker: string,
    readonly match: MarkerMatch = 'line',
  ) {
    if (marker === '' || /[\r\n]/.test(marker)) throw new Error('the marker must be non-empty text without line breaks');
    if (Buffer.byteLength(marker) > SERIAL_LINE_CAP) throw new Error(`the marker must be at most ${SERIAL_LINE_CAP} bytes`);
    this.markerWatch = new NeedleWatch(Buffer.from(marker));
  }

  /** Calls `listener` once, when the marker is found (at once if it already was). */
  onFound(listener: (line: SerialLine) => void): void {
    if (this.state.found) listener(this.state.found);
    else this.listeners.push(listener);
  }

  /** Bytes of the unfinished line held in memory (its kept text); never more than SERIAL_LINE_CAP. */
  get pendingBytes(): number {
    return this.headLength;
  }

  /** Feeds bytes as they arrived. */
  push(chunk: Buffer): void {
    this.state.bytes += chunk.length;
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      this.take(chunk.subarray(start, end));
      this.completeLine();
      start = end + 1;
    }
    this.take(chunk.subarray(start));
    if (this.match === 'contains' && !this.state.found && !this.partialJudged && this.partialHasMarker()) {
      this.partialJudged = true;
      const text = this.partialText();
      if (!ECHO.test(text)) this.foundAt({ lineNumber: this.state.lines + 1, text });
    }
  }

  /** Returns a snapshot of what was seen. */
  scan(): SerialScan {
    return { ...this.state, nearMisses: [...this.state.nearMisses], partial: this.partialText() };
  }

  /** Adds a piece of the unfinished line; trailing CRs are held back as a count until text follows. */
  private take(piece: Buffer): void {
    let end = piece.length;
    while (end > 0 && piece[end - 1] === CR) end--;
    if (end === 0) {
      this.trailingCrs += piece.length;
      return;
    }
    if (this.trailingCrs > 0) {
      // CRs inside a line are text. Past the cap they only count: needles hold no CR, so the
      // cap's worth of them breaks any match as well as all of them would.
      const shown = Math.min(this.trailingCrs, SERIAL_LINE_CAP);
      this.append(CRS.subarray(0, shown));
      this.lineLength += this.trailingCrs - shown;
    }
    this.append(piece.subarray(0, end));
    this.trailingCrs = piece.length - end;
  }

  private append(text: Buffer): void {
    const whole = this.lineLength === this.headLength;
    const kept = Math.min(text.length, SERIAL_LINE_CAP - this.headLength);
    if (kept > 0) this.headLength += text.copy(this.head, this.headLength, 0, kept);
    this.lineLength += text.length;
    const past = text.subarray(kept);
    if (past.length === 0) return;
    if (whole) for (const watch of [this.markerWatch, this.panicWatch]) watch.start(this.head);
    this.markerWatch.feed(past);
    this.panicWatch.feed(past);
  }

  private partialText(): string {
    return this.head.toString('utf8', 0, this.headLength);
  }

  /** contains mode: whether the unfinished line holds the marker (searching only the new bytes). */
  private partialHasMarker(): boolean {
    const from = Math.max(0, this.searchedTo - (this.markerWatch.needle.length - 1));
    this.searchedTo = this.headLength;
    if (this.head.subarray(0, this.headLength).includes(this.markerWatch.needle, from)) return true;
    return this.lineLength > this.headLength && this.markerWatch.seen;
  }

  private completeLine(): void {
    const text = this.partialText();
    const line = { lineNumber: ++this.state.lines, text };
    const whole = this.lineLength === this.headLength;
    const hasMarker = text.includes(this.marker) || (!whole && this.markerWatch.seen);
    if (!FIRECRACKER_LOG_LINE.test(text)) this.state.guestLines++;
    if (!this.state.panic && (text.includes(PANIC) || (!whole && this.panicWatch.seen))) this.state.panic = line;
    this.resetLine();
    if (this.state.found) return;
    if (this.match === 'line' ? whole && text === this.marker : hasMarker && !ECHO.test(text)) this.foundAt(line);
    else if (hasMarker && this.state.nearMisses.length < 3) this.state.nearMisses.push(line);
  }

  private resetLine(): void {
    this.headLength = 0;
    this.lineLength = 0;
    this.trailingCrs = 0;
    this.searchedTo = 0;
    this.partialJudged = false;
  }

  private foundAt(line: SerialLine): void {
    this.state.found = line;
    for (const listener of this.listeners.splice(0)) listener(line);
  }
}
