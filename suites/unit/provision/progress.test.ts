import { describe, expect, it } from 'vitest';
import { createTtyProgress, renderProgress } from '../../../lib/provision/progress.ts';

describe('download progress', () => {
  it.each([
    [0, 4 * 1048576, '  vmlinux  0.0 MiB / 4.0 MiB    0%'],
    [1048576, 4 * 1048576, '  vmlinux  1.0 MiB / 4.0 MiB   25%'],
    [4 * 1048576, 4 * 1048576, '  vmlinux  4.0 MiB / 4.0 MiB  100%'],
    [3 * 1048576, null, '  vmlinux  3.0 MiB'],
  ])('renders %i of %s bytes', (received, total, line) => {
    expect(renderProgress('vmlinux', received, total)).toBe(line);
  });

  it('draws nothing when the stream is not a terminal, so CI logs stay clean', () => {
    expect(createTtyProgress({ write: () => true, isTTY: false }, 'x')).toBeUndefined();
  });

  it('redraws in place on a terminal at most once per interval, and ends the line when done', () => {
    const writes: string[] = [];
    let now = 0;
    const progress = createTtyProgress({ write: (t: string) => writes.push(t), isTTY: true }, 'tgz', () => now, 100)!;
    progress(10, 100);
    now = 50;
    progress(20, 100); // within the interval: skipped
    now = 150;
    progress(60, 100);
    progress(100, 100); // finished: always drawn, with a newline
    expect(writes).toHaveLength(3);
    expect(writes[0]).toMatch(/^\r\x1b\[2K {2}tgz/);
    expect(writes[2]!.endsWith('100%\n')).toBe(true);
  });
});
