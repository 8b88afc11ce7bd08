import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createKeyedLock } from '../../../lib/netd/keyed-lock.ts';

describe('keyed lock', () => {
  it('runs work for one key one at a time, in arrival order, even when some fail', async () => {
    const lock = createKeyedLock();
    const order: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string, fail = false) =>
      lock.run('k', async () => {
        running++;
        most = Math.max(most, running);
        order.push(`start ${name}`);
        await sleep(2);
        order.push(`end ${name}`);
        running--;
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([job('a'), job('b', true), job('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(most).toBe(1);
    expect(lock.busyKeys).toBe(0);
  });

  it('runs work for different keys at the same time', async () => {
    const lock = createKeyedLock();
    let running = 0;
    let most = 0;
    await Promise.all(
      ['a', 'b', 'c'].map((key) =>
        lock.run(key, async () => {
          running++;
          most = Math.max(most, running);
          await sleep(5);
          running--;
        }),
      ),
    );
    expect(most).toBe(3);
  });
});
