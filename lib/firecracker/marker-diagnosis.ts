import { SerialMarkerError } from './errors.ts';
import { describeExit } from './process-race.ts';
import type { SerialLineScanner } from './serial-lines.ts';
import type { ProcessExit } from './vmm-process.ts';

/** What the serial output says about a missing marker: one sentence, and what to do. */
export interface MarkerDiagnosis {
  finding: string;
  hint: string;
}

const clip = (text: string) => (text.length > 120 ? `${text.slice(0, 117)}...` : text);

/** Explains why the marker was not seen, from what the scanner saw (pure). */
export function diagnoseSerial(scanner: SerialLineScanner, bootArgs: string): MarkerDiagnosis {
  const scan = scanner.scan();
  const marker = JSON.stringify(scanner.marker);
  if (scan.panic) {
    return {
      finding: `the guest kernel panicked (serial line ${scan.panic.lineNumber}: "${clip(scan.panic.text)}")`,
      hint: 'Check that kernel and rootfs belong together: an ext4 root on /dev/vda with an executable /sbin/init (`octolab-verify image build` makes one).',
    };
  }
  if (scan.guestLines === 0 && scan.partial === '') {
    const noConsole = !/(?:^|\s)console=ttyS0/.test(bootArgs);
    return {
      finding: 'the serial console stayed silent',
      hint: noConsole
        ? `The boot args lack console=ttyS0, so the guest has no serial console: use "console=ttyS0 reboot=k panic=1 pci=off".`
        : 'The kernel wrote nothing to ttyS0: check that it is a Firecracker-compatible vmlinux with the 8250 serial driver.',
    };
  }
  const nearMiss = scan.nearMisses[0];
  if (nearMiss) {
    return {
      finding: `${marker} appeared only inside a longer line (serial line ${nearMiss.lineNumber}: "${clip(nearMiss.text)}")`,
      hint: 'The marker must be a line of its own; the kernel echoing its command line, or output glued to other text, does not count.',
    };
  }
  if (scan.partial.includes(scanner.marker)) {
    return {
      finding: `${marker} appeared only in an unterminated last line ("${clip(scan.partial)}")`,
      hint: 'A partial line does not count: the guest must end the marker with a newline.',
    };
  }
  return {
    finding: `the guest never printed ${marker} (${scan.lines} serial lines)`,
    hint: 'Is this the hello rootfs? Build it with `octolab-verify image build`, or pass --marker for another image (the upstream Alpine hello image prints `login:`).',
  };
}

/** The error for a guest that ended (or ran out of time) without the marker. */
export function diagnoseMissingMarker(scanner: SerialLineScanner, bootArgs: string, exit: ProcessExit | null): SerialMarkerError {
  const diagnosis = diagnoseSerial(scanner, bootArgs);
  const ended = exit ? `firecracker exited (${describeExit(exit)}) before the serial line ${JSON.stringify(scanner.marker)} appeared` : `the serial line ${JSON.stringify(scanner.marker)} did not appear in time`;
  return new SerialMarkerError({
    code: 'SERIAL_MARKER_MISSING',
    summary: `${ended}: ${diagnosis.finding}`,
    reason: diagnosis.finding,
    hint: diagnosis.hint,
  });
}
