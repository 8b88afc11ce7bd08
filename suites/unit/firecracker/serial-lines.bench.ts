import { bench, describe } from 'vitest';
import { SerialLineScanner } from '../../../lib/firecracker/serial-lines.ts';
import { BaselineSerialLineScanner } from './serial-lines-baseline.ts';

/**
 * The serial scanner against its pre-cap baseline, side by side (vitest prints the ratio), on an
 * ordinary boot transcript and on two hostile consoles: a CR run ended by text (the old /\r+$/
 * backtracked over it on every chunk) and a long line without newline (the old code re-joined it).
 * Each run feeds 4 KiB chunks, then `\nHello, World!\n`, and throws if the marker was not found.
 * Run: npx vitest bench --run --project unit suites/unit/firecracker/serial-lines.bench.ts
 */
const MARKER = 'Hello, World!';
const CHUNK = 4096;
const boot = Array.from({ length: 20_000 }, (_, i) => `[ ${(i / 1000).toFixed(6)}] driver ${i}: probing µdevice at 0x${i.toString(16)}\r\n`).join('');
const WORKLOADS: Array<[string, Buffer]> = [
  ['an ordinary 1.3 MiB boot transcript (CRLF lines)', Buffer.from(boot)],
  ['40k CRs then one letter, no newline', Buffer.from(`${'\r'.repeat(40_000)}x`)],
  ['2 MiB without a newline', Buffer.alloc(2 * 1024 * 1024, 'x')],
];

function feed(scanner: { push(chunk: Buffer): void }, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; at += CHUNK) scanner.push(bytes.subarray(at, at + CHUNK));
  scanner.push(Buffer.from(`\n${MARKER}\n`));
}

const options = { iterations: 5, warmupIterations: 1, time: 0, warmupTime: 0 };
for (const [label, bytes] of WORKLOADS) {
  describe(label, () => {
    bench('SerialLineScanner (capped line, linear)', () => {
      const scanner = new SerialLineScanner(MARKER);
      feed(scanner, bytes);
      if (!scanner.scan().found) throw new Error('marker not found');
    }, options);

    bench('baseline (re-join and /\\r+$/ per chunk)', () => {
      const scanner = new BaselineSerialLineScanner(MARKER);
      feed(scanner, bytes);
      if (!scanner.found) throw new Error('marker not found');
    }, options);
  });
}
