import { describe, expect, it } from 'vitest';
import { createProcessTable, parseBootTime, parseProcStat } from '../../../lib/host/process-table.ts';

describe('reading /proc for cleanup', () => {
  it('reads the state and start time after the last parenthesis, whatever the command name holds', () => {
    const fields = Array.from({ length: 30 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    fields[19] = '123456';
    expect(parseProcStat(`42 (evil) name (x) ) ${fields.join(' ')}`)).toEqual({ state: 'S', startTicks: 123456 });
    expect(parseProcStat('garbage')).toBeNull();
  });

  it('reads the boot time from /proc/stat', () => {
    expect(parseBootTime('cpu 1 2 3\nbtime 1700000000\nprocesses 5\n')).toBe(1_700_000_000_000);
    expect(parseBootTime('cpu 1 2 3\n')).toBeNull();
  });

  it('sees this very process with its argv and a start time in the past', async () => {
    const self = await createProcessTable().read(process.pid);
    expect(self?.argv[0]).toMatch(/node/);
    expect(self!.startedAtMs).toBeLessThanOrEqual(Date.now() + 2000);
    expect(self!.startedAtMs).toBeGreaterThan(Date.now() - 24 * 3_600_000 * 365);
  });

  it.each([0, 1, -5, process.pid])('refuses to signal pid %i', async (pid) => {
    await expect(createProcessTable().signal(pid, 'SIGTERM')).rejects.toThrow(/refusing to signal pid/);
  });

  it('reports a pid that does not exist as gone', async () => {
    const table = createProcessTable();
    expect(await table.read(2 ** 22 + 12345)).toBeNull();
  });
});
