/**
 * The hello image's /sbin/init: print the marker as a line of its own on the console, then reboot
 * at once (`reboot -f`: no init system to ask). With `reboot=k` on the kernel command line the
 * guest's reboot ends Firecracker with exit code 0, so a boot is a finished process.
 */

/** The default marker, the line the boot pipeline waits for. */
export const HELLO_MARKER = 'Hello, World!';

/** Quotes text for a POSIX shell as one single-quoted word. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Returns why `marker` cannot be printed as one console line, or null. */
export function markerProblem(marker: string): string | null {
  if (marker === '') return 'the marker is empty';
  if (/[\x00-\x1f\x7f]/.test(marker)) return 'the marker contains a control character (line breaks included)';
  if (Buffer.byteLength(marker) > 200) return 'the marker is longer than 200 bytes';
  return null;
}

/** Renders the init script for `marker` (printf, so a marker such as `-n` is printed as is). */
export function renderHelloInit(marker: string): string {
  const problem = markerProblem(marker);
  if (problem) throw new Error(problem);
  return [
    '#!/bin/sh',
    '# OctoLab hello init: print the marker on the console, then reboot.',
    '# With reboot=k on the kernel command line, Firecracker then exits 0.',
    `printf '%s\\n' ${shellQuote(marker)}`,
    'exec /bin/busybox reboot -f',
    '',
  ].join('\n');
}
