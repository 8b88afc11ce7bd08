/**
 * The fleet view of the recorded hosts (fixtures/fleet): the matrix says what each host's own
 * reports say, the Markdown matches its golden file, and the HTML is self-contained.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BootJson } from '../../../lib/firecracker/boot-result.ts';
import { buildFleet } from '../../../lib/report/fleet.ts';
import { renderFleetHtml } from '../../../lib/report/render-html.ts';
import { renderFleetMarkdown } from '../../../lib/report/render-markdown.ts';
import { axisTicks, layoutBars, tickStep } from '../../../lib/report/waterfall.ts';
import { expectGolden } from '../doctor/golden.ts';
import { doctorOf, expectedCell, FLEET_DIR, HOSTS, recordedFleet } from './fleet-fixtures.ts';

const GOLDEN = fileURLToPath(new URL('../../../fixtures/golden/report', import.meta.url));


describe('the fleet view of the recorded hosts', () => {
  it('has one host per directory, with the verdict each one\'s reports give', async () => {
    const view = buildFleet(await recordedFleet());
    expect(view.hosts.map((h) => [h.name, h.verdict])).toEqual([
      ['host-boot-failed', 'boot-failed'],
      ['host-no-kvm', 'not-ready'],
      ['host-ready', 'ready'],
    ]);
    expect(view.counts).toMatchObject({ 'not-ready': 1, 'boot-failed': 1, ready: 1 });
  });

  it('fills every matrix cell from that host\'s doctor.json', async () => {
    const view = buildFleet(await recordedFleet());
    for (const name of HOSTS) {
      const host = view.hosts.find((h) => h.name === name)!;
      const doctor = doctorOf(name);
      expect(view.checks).toEqual(doctor.checks.map((c) => c.name));
      for (const check of doctor.checks) expect({ host: name, check: check.name, status: host.cells[check.name]!.status }).toEqual({ host: name, check: check.name, status: expectedCell(check) });
    }
  });

  it('lists each failure with its fix, and the failed boot with its stage and hint', async () => {
    const view = buildFleet(await recordedFleet());
    const noKvm = view.hosts.find((h) => h.name === 'host-no-kvm')!;
    expect(noKvm.problems).toEqual([{ severity: 'fail', subject: 'kvm', details: '/dev/kvm not found', fix: doctorOf('host-no-kvm').checks[0]!.hint }]);
    const boot = JSON.parse(readFileSync(path.join(FLEET_DIR, 'host-boot-failed', 'boot.json'), 'utf8')) as BootJson;
    const failed = view.hosts.find((h) => h.name === 'host-boot-failed')!;
    expect(failed.problems[0]).toEqual({ severity: 'fail', subject: 'boot', details: `failed at stage serial-marker: ${boot.error!.summary}`, fix: boot.hint });
    expect(failed.timelines[0]!.stages).toEqual(boot.stages);
  });

  it('renders Markdown that matches its golden file (update with UPDATE_GOLDEN=1 after regenerating the fixtures)', async () => {
    const markdown = renderFleetMarkdown(buildFleet(await recordedFleet()));
    expectGolden('fleet.md', markdown, GOLDEN);
    // One matrix row per host, its cells in the columns' order.
    const rows = markdown.split('\n').filter((l) => l.startsWith('| **host-'));
    expect(rows.map((r) => /\*\*(.+?)\*\*/.exec(r)![1])).toEqual([...HOSTS]);
    expect(rows[1]).toMatch(/^\| \*\*host-no-kvm\*\* \| ❌ not ready \| ❌ \| ⏭️ \| ✅ /);
    expect(markdown).toContain('  - fix: Load KVM: `sudo modprobe kvm_intel`');
  });

  it('renders HTML that needs nothing from outside: no script, no link, no URL to load', async () => {
    const html = renderFleetHtml(buildFleet(await recordedFleet()));
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\bsrc=|\bhref=/i);
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('escapes what hosts report, in HTML and in Markdown', async () => {
    const hosts = await recordedFleet();
    const doctor = hosts.find((h) => h.name === 'host-no-kvm')!.documents.find((d) => d.kind === 'doctor')!;
    if (doctor.kind === 'doctor') doctor.doctor.checks[0]!.details = '<script>alert(1)</script> | x';
    const view = buildFleet(hosts);
    expect(renderFleetHtml(view)).toContain('&lt;script&gt;alert(1)&lt;/script&gt; | x');
    expect(renderFleetMarkdown(view)).toContain('&lt;script&gt;alert(1)&lt;/script&gt; \\| x');
  });
});

describe('the waterfall layout', () => {
  it('puts each stage at its start with its width on the shared axis, and a stage that did not run where the run stopped', () => {
    const stages = [
      { name: 'a', title: 'a', status: 'passed' as const, start_ms: 0, duration_ms: 250 },
      { name: 'b', title: 'b', status: 'failed' as const, start_ms: 250, duration_ms: 250 },
      { name: 'c', title: 'c', status: 'not-run' as const, start_ms: null, duration_ms: 0 },
    ];
    expect(layoutBars(stages, 1000, 500).map((b) => [b.stage.name, b.leftPct, b.widthPct])).toEqual([
      ['a', 0, 25],
      ['b', 25, 25],
      ['c', 50, 0],
    ]);
    expect(layoutBars(stages, 500, 500).at(-1)!.leftPct).toBe(99);
  });

  it.each([
    [5110, 2000],
    [999, 200],
    [60_000, 20_000],
    [1, 0.2],
  ])('ticks an axis of %i ms every %f ms', (axis, step) => {
    expect(tickStep(axis)).toBeCloseTo(step);
    const ticks = axisTicks(axis);
    expect(ticks[0]).toEqual({ pct: 0, label: '0 ms' });
    expect(ticks.at(-1)!.pct).toBeLessThanOrEqual(100);
  });
});
