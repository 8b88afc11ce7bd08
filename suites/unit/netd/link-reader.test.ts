import { describe, expect, it } from 'vitest';
import { createLinkReader } from '../../../lib/netd/link-reader.ts';

/** A read whose every call waits for release(); `calls` counts the reads started. */
function controlledRead() {
  const waiting: Array<(value: number) => void> = [];
  let calls = 0;
  return {
    read: () =>
      new Promise<number>((resolve) => {
        calls++;
        waiting.push(resolve);
      }),
    /** Ends the oldest running read with the number of reads started so far. */
    release: () => waiting.shift()!(calls),
    get calls() {
      return calls;
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the link reader', () => {
  it('runs one listing at a time: callers that ask while one runs share the next, which starts after it', async () => {
    const control = controlledRead();
    let marks = 0;
    const reader = createLinkReader(control.read, () => ++marks);
    const first = reader.fresh();
    const second = reader.fresh();
    const third = reader.fresh();
    await tick();
    expect(control.calls).toBe(1);
    control.release();
    await expect(first).resolves.toEqual({ value: 1, mark: 1 });
    await tick();
    expect(control.calls).toBe(2);
    control.release();
    const [a, b] = await Promise.all([second, third]);
    expect(a).toEqual({ value: 2, mark: 2 });
    expect(b).toBe(a);
  });

  it('lets any() take the listing running now, and start one when none runs', async () => {
    const control = controlledRead();
    const reader = createLinkReader(control.read, () => 0);
    const running = reader.fresh();
    const joined = reader.any();
    control.release();
    expect(await joined).toBe(await running);
    const own = reader.any();
    await tick();
    expect(control.calls).toBe(2);
    control.release();
    await expect(own).resolves.toMatchObject({ value: 2 });
  });

  it('gives every sharer the failure of a listing, and lists again for the next caller', async () => {
    let fail = true;
    const reader = createLinkReader(async () => {
      if (fail) throw new Error('ip: not found');
      return 'ok';
    }, () => 0);
    await expect(Promise.all([reader.fresh(), reader.any()])).rejects.toThrow('ip: not found');
    fail = false;
    await expect(reader.fresh()).resolves.toMatchObject({ value: 'ok' });
  });
});
