import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diagnoseMissingMarker, diagnoseSerial } from '../../../lib/firecracker/marker-diagnosis.ts';
import { SERIAL_LINE_CAP, SerialLineScanner, type MarkerMatch } from '../../../lib/firecracker/serial-lines.ts';

const MARKER = 'Hello, World!';
const scanAll = (text: string | Buffer, match: MarkerMatch = 'line', marker = MARKER) => {
  const scanner = new SerialLineScanner(marker, match);
  scanner.push(Buffer.from(text));
  return scanner;
};

const TRANSCRIPT = [
  '[    0.000000] Linux version 5.10.209 (µ) #1 SMP',
  `[    0.011000] Kernel command line: console=ttyS0 reboot=k panic=1 pci=off -- ${MARKER}`,
  '[    0.024000] Run /sbin/init as init process',
  'init: started (µVM)',
  MARKER,
  '[    0.026000] reboot: Restarting system',
  '',
].join('\r\n');

describe('SerialLineScanner', () => {
  it.each([
    ['the marker as a line of its own (LF)', `boot\n${MARKER}\nbye\n`, 2],
    ['the marker as a line of its own (CRLF)', `boot\r\n${MARKER}\r\nbye\r\n`, 2],
    ['the marker after a doubled CR', `${MARKER}\r\r\n`, 1],
  ])('finds %s', (_label, text, lineNumber) => {
    expect(scanAll(text).scan().found).toEqual({ lineNumber, text: MARKER });
  });

  it.each([
    ['inside the kernel’s command-line echo', `[    0.01] Kernel command line: init=/bin/echo ${MARKER}\n`],
    ['glued to following output', `${MARKER}[    0.02] reboot: Restarting system\n`],
    ['with leading text', `> ${MARKER}\n`],
    ['as an unterminated last line', MARKER],
    ['without its exclamation mark', 'Hello, World\n'],
  ])('does not count the marker %s', (_label, text) => {
    expect(scanAll(text).scan().found).toBeNull();
  });

  it('finds the marker in the same place however the output is cut, CR/LF and UTF-8 included', { tags: ['fuzz'] }, () => {
    const bytes = Buffer.from(TRANSCRIPT);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
        const scanner = new SerialLineScanner(MARKER);
        let from = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          scanner.push(bytes.subarray(from, cut));
          from = cut;
        }
        scanner.push(bytes.subarray(from));
        expect(scanner.scan()).toMatchObject({ found: { lineNumber: 5, text: MARKER }, lines: 6, bytes: bytes.length });
        expect(scanner.scan().nearMisses[0]?.lineNumber).toBe(2);
      }),
      { numRuns: 300 },
    );
  });

  it('in contains mode accepts a prompt without newline but still not the command-line echo', () => {
    expect(scanAll('Welcome to Alpine\nlocalhost login: ', 'contains', 'login:').scan().found).toEqual({ lineNumber: 2, text: 'localhost login: ' });
    expect(scanAll('[    0.01] Kernel command line: x=login:\n', 'contains', 'login:').scan().found).toBeNull();
  });

  it('calls a listener once, also when it registers after the marker was seen', () => {
    const scanner = scanAll(`${MARKER}\n${MARKER}\n`);
    const seen: number[] = [];
    scanner.onFound((line) => seen.push(line.lineNumber));
    expect(seen).toEqual([1]);
  });

  it('refuses an empty marker, one with a line break, or one longer than a kept line', () => {
    expect(() => new SerialLineScanner('')).toThrow(/non-empty/);
    expect(() => new SerialLineScanner('a\nb')).toThrow(/line breaks/);
    expect(() => new SerialLineScanner('x'.repeat(SERIAL_LINE_CAP + 1))).toThrow(/at most 65536 bytes/);
  });

  it('in line mode reports what a whole-text reading reports, however the bytes are cut', { tags: ['fuzz'] }, () => {
    const pieces = [MARKER, 'Hello', ', World!', '\r', '\n', '\r\n', 'µ', '€', 'x', ' ', '] ', 'Kernel command line:', 'Kernel panic - not syncing:', 'login:'];
    const text = fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (input, rawCuts) => {
        const bytes = Buffer.from(input);
        const scanner = new SerialLineScanner(MARKER);
        let from = 0;
        for (const cut of rawCuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b)) {
          scanner.push(bytes.subarray(from, cut));
          from = cut;
        }
        scanner.push(bytes.subarray(from));
        expect(scanner.scan()).toEqual(readWhole(input, MARKER));
      }),
      { numRuns: 500 },
    );
  });
});

/**
 * Line mode's contract read off a whole text at once (no chunks, no caps): the fuzz test's oracle.
 * (contains mode judges the unfinished line at each push, so what it finds depends on the cuts.)
 */
function readWhole(input: string, marker: string) {
  const rows = input.split('\n').map((row) => row.replace(/\r+$/, ''));
  const partial = rows.pop() ?? '';
  const lines = rows.map((text, i) => ({ lineNumber: i + 1, text }));
  const found = lines.find((l) => l.text === marker) ?? null;
  const before = lines.filter((l) => !found || l.lineNumber < found.lineNumber);
  return {
    found,
    nearMisses: before.filter((l) => l.text.includes(marker)).slice(0, 3),
    panic: lines.find((l) => l.text.includes('Kernel panic - not syncing:')) ?? null,
    lines: lines.length,
    guestLines: lines.length,
    bytes: Buffer.byteLength(input),
    partial,
  };
}

describe('SerialLineScanner on lines longer than it keeps', () => {
  const CAP = SERIAL_LINE_CAP;
  const feed = (scanner: SerialLineScanner, text: string | Buffer, chunk = 4096) => {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; at += chunk) scanner.push(bytes.subarray(at, at + chunk));
    return scanner;
  };

  it('counts a line longer than the cap, never takes it for the marker, and finds the marker line after it', () => {
    const scan = feed(new SerialLineScanner(MARKER), `${'x'.repeat(CAP + 10)}\n${MARKER}\n`).scan();
    expect(scan).toMatchObject({ found: { lineNumber: 2, text: MARKER }, lines: 2, nearMisses: [] });
  });

  it.each([
    ['after the cap', CAP],
    ['across the cap', CAP - 5],
  ])('does not take an over-long line ending in the marker for the marker line, and names it a near miss (marker %s)', (_label, at) => {
    const scan = feed(new SerialLineScanner(MARKER), `${'x'.repeat(at)}${MARKER}\n`, 1000).scan();
    expect(scan.found).toBeNull();
    expect(scan.nearMisses.map((l) => [l.lineNumber, l.text.length])).toEqual([[1, CAP]]);
  });

  it.each([
    ['the marker after a CR run longer than the cap', `${'\r'.repeat(3 * CAP)}\n${MARKER}\n`, { lineNumber: 2, text: MARKER }],
    ['the marker ended by a CR run longer than the cap', `boot\n${MARKER}${'\r'.repeat(3 * CAP)}\n`, { lineNumber: 2, text: MARKER }],
    ['the marker after a line with a long CR run inside', `a${'\r'.repeat(CAP + 5)}b\n${MARKER}\r\n`, { lineNumber: 2, text: MARKER }],
  ])('finds %s', (_label, text, found) => {
    expect(feed(new SerialLineScanner(MARKER), text).scan().found).toEqual(found);
  });

  it('still sees a kernel panic and a contains-mode prompt past the cap, also when a chunk cuts them', () => {
    const long = 'y'.repeat(CAP + 3);
    const panic = feed(new SerialLineScanner(MARKER), `${long}Kernel panic - not syncing: VFS\nok\n`, 7).scan();
    expect(panic.panic).toEqual({ lineNumber: 1, text: long.slice(0, CAP) });
    const prompt = feed(new SerialLineScanner('login:', 'contains'), `${long}localhost login: `, 5).scan();
    expect(prompt.found).toEqual({ lineNumber: 1, text: long.slice(0, CAP) });
  });

  it('keeps at most the cap of an unfinished line: 5 MiB of CR, then 5 MiB of text, in 4 KiB chunks', () => {
    // Regression: every chunk re-joined and re-scanned the whole unfinished line with /\r+$/, so a
    // console printing CRs without a newline blocked the event loop and the boot's own timeout.
    const scanner = new SerialLineScanner(MARKER);
    const crs = Buffer.alloc(4096, '\r');
    const xs = Buffer.alloc(4096, 'x');
    for (let i = 0; i < 1280; i++) {
      scanner.push(crs);
      expect(scanner.pendingBytes).toBeLessThanOrEqual(CAP);
    }
    for (let i = 0; i < 1280; i++) {
      scanner.push(xs);
      expect(scanner.pendingBytes).toBeLessThanOrEqual(CAP);
    }
    scanner.push(Buffer.from(`\n${MARKER}\n`));
    expect(scanner.scan()).toMatchObject({ found: { lineNumber: 2, text: MARKER }, bytes: 2 * 1280 * 4096 + MARKER.length + 2 });
    expect(scanner.pendingBytes).toBe(0);
  });
});

describe('marker diagnosis', () => {
  it.each([
    ['a kernel panic', '[ 0.1] Kernel panic - not syncing: VFS: Unable to mount root fs\n', 'console=ttyS0', /guest kernel panicked \(serial line 1/, /kernel and rootfs belong together/],
    ['silence without console=ttyS0', '', 'reboot=k panic=1', /serial console stayed silent/, /lack console=ttyS0/],
    ['only Firecracker’s own log lines', '2024-03-18T10:00:00.123456789 [lab-x:main] Running Firecracker v1.7.0\n', 'reboot=k', /stayed silent/, /lack console=ttyS0/],
    ['silence with console=ttyS0', '', 'console=ttyS0 reboot=k', /stayed silent/, /8250 serial driver/],
    ['the marker inside the echo', `Kernel command line: x ${MARKER}\n`, 'console=ttyS0', /appeared only inside a longer line \(serial line 1/, /line of its own/],
    ['the marker as a partial line', `init\n${MARKER}`, 'console=ttyS0', /unterminated last line/, /must end the marker with a newline/],
    ['another image', 'Welcome to Alpine\n', 'console=ttyS0', /never printed "Hello, World!" \(1 serial lines\)/, /--marker/],
  ])('explains %s', (_label, text, bootArgs, finding, hint) => {
    const diagnosis = diagnoseSerial(scanAll(text), bootArgs);
    expect(diagnosis.finding).toMatch(finding);
    expect(diagnosis.hint).toMatch(hint);
  });

  it('says the process exited before the marker, with its exit code', () => {
    const error = diagnoseMissingMarker(scanAll('x\n'), 'console=ttyS0', { code: 0, signal: null });
    expect(error).toMatchObject({ code: 'SERIAL_MARKER_MISSING' });
    expect(error.summary).toMatch(/^firecracker exited \(code 0\) before the serial line "Hello, World!" appeared: /);
  });
});
