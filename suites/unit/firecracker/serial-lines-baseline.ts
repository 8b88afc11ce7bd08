/**
 * The benchmark's baseline: SerialLineScanner as it was before the line cap (commit a5f63c0), which
 * re-joined the unfinished line and ran /\r+$/ over it on every chunk. For comparison only.
 */

const NEWLINE = 0x0a;
const FIRECRACKER_LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9} \[[^\]]*\] /;

/** The old line-mode scanner, reduced to what the benchmark reads: found line, line count, partial. */
export class BaselineSerialLineScanner {
  private pending: Buffer = Buffer.alloc(0);
  found: { lineNumber: number; text: string } | null = null;
  lines = 0;
  guestLines = 0;
  partial = '';

  constructor(readonly marker: string) {}

  push(chunk: Buffer): void {
    let data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE)) {
      this.completeLine(data.subarray(0, end).toString('utf8').replace(/\r+$/, ''));
      data = data.subarray(end + 1);
    }
    this.pending = Buffer.from(data);
    this.partial = this.pending.toString('utf8').replace(/\r+$/, '');
  }

  private completeLine(text: string): void {
    this.lines++;
    if (!FIRECRACKER_LOG_LINE.test(text)) this.guestLines++;
    if (!this.found && text === this.marker) this.found = { lineNumber: this.lines, text };
  }
}
