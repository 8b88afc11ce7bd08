import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diagnoseMissingMarker, diagnoseSerial } from '../../../lib/firecracker/marker-diagnosis.ts';
import { SerialLineScanner, type MarkerMatch } from '../../../lib/firecracker/serial-lines.ts';

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

  it('refuses an empty marker or one with a line break', () => {
    expect(() => new SerialLineScanner('')).toThrow(/non-empty/);
    expect(() => new SerialLineScanner('a\nb')).toThrow(/line breaks/);
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
