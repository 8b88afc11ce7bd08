/**
 * The fleet report's HTML as a browser shows it: a headless Chromium (Debian's chromium package,
 * driven by playwright-core; no network) opens the page rendered from the recorded hosts. It
 * loads nothing but the page itself, every matrix cell says what that host's doctor.json says,
 * every boot stage has its bar on the shared axis, and a screenshot goes to reports/.
 * playwright-core rather than `chromium --dump-dom`: the test needs laid-out boxes (a bar's
 * position and width), which a DOM dump does not have.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import type { BootJson } from '../../../lib/firecracker/boot-result.ts';
import { buildFleet } from '../../../lib/report/fleet.ts';
import { CELL_LABEL, renderFleetHtml } from '../../../lib/report/render-html.ts';
import { requireTools } from '../../support/require.ts';
import { doctorOf, expectedCell, FLEET_DIR, HOSTS, recordedFleet, ROOT } from './fleet-fixtures.ts';

/** The flags the brief for a root, network-less CI machine asks for (headless comes from playwright). */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT = path.join(process.env.OCTOLAB_REPORTS_DIR ?? path.join(ROOT, 'reports'), 'fleet-report.png');

/** The chromium on PATH (requireTools has checked it is there). */
async function chromiumPath(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = path.join(dir, 'chromium');
    if (dir && (await fs.access(candidate).then(() => true, () => false))) return candidate;
  }
  throw new Error('chromium is not on PATH');
}

async function bootOf(host: string): Promise<BootJson | null> {
  const text = await fs.readFile(path.join(FLEET_DIR, host, 'boot.json'), 'utf8').catch(() => null);
  return text === null ? null : (JSON.parse(text) as BootJson);
}

describe('the fleet report in a real browser', () => {
  it('renders the recorded fleet: only the page is loaded, the cells match the input, every stage has its bar', { tags: ['browser', 'slow'], timeout: 120_000 }, async (ctx) => {
    requireTools(ctx, 'browser', ['chromium']);
    const executablePath = await chromiumPath();
    await withDir(
      async ({ path: dir }) => {
        const page = path.join(dir, 'fleet.html');
        await fs.writeFile(page, renderFleetHtml(buildFleet(await recordedFleet())));
        const pageUrl = pathToFileURL(page).href;
        let context: BrowserContext | undefined;
        try {
          // A fresh profile of the test's own (removed with `dir`).
          context = await chromium.launchPersistentContext(path.join(dir, 'profile'), { executablePath, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 900 } });
          const requested: string[] = [];
          await context.route('**/*', (route) => (route.request().url() === pageUrl ? route.continue() : route.abort()));
          const tab = await context.newPage();
          tab.on('request', (request) => requested.push(request.url()));
          await tab.goto(pageUrl, { waitUntil: 'load' });
          expect(requested).toEqual([pageUrl]);
          expect(await tab.title()).toBe('OctoLab fleet report');
          expect(await tab.locator('h1').isVisible()).toBe(true);

          // The matrix: one row per host, each check's cell as that host's doctor.json says.
          expect(await tab.locator('table.matrix tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-host')))).toEqual([...HOSTS]);
          for (const host of HOSTS) {
            for (const check of doctorOf(host).checks) {
              const cell = tab.locator(`tr[data-host="${host}"] td[data-check="${check.name}"]`);
              const want = expectedCell(check);
              expect({ host, check: check.name, status: await cell.getAttribute('data-status'), text: (await cell.innerText()).trim() }).toEqual({ host, check: check.name, status: want, text: CELL_LABEL[want] });
              expect(await cell.isVisible()).toBe(true);
            }
          }

          // The waterfalls: every stage of every boot has exactly one visible bar inside its track, in time order.
          for (const host of HOSTS) {
            const boot = await bootOf(host);
            const sections = tab.locator(`section.timeline[data-host="${host}"]`);
            expect(await sections.count()).toBe(boot ? 1 : 0);
            if (!boot) continue;
            let lastLeft = -1;
            for (const stage of boot.stages) {
              const row = sections.locator(`li.stage[data-stage="${stage.name}"]`);
              expect(await row.getAttribute('data-status')).toBe(stage.status);
              const bars = row.locator('.bar');
              expect(await bars.count()).toBe(1);
              const bar = (await bars.boundingBox())!;
              const track = (await row.locator('.track').boundingBox())!;
              expect(bar.width, `${host} ${stage.name}`).toBeGreaterThan(0);
              expect(bar.x).toBeGreaterThanOrEqual(track.x - 0.5);
              expect(bar.x + bar.width).toBeLessThanOrEqual(track.x + track.width + 0.5);
              if (stage.start_ms !== null) {
                expect(bar.x).toBeGreaterThanOrEqual(lastLeft - 0.5);
                lastLeft = bar.x;
              }
            }
          }

          await fs.mkdir(path.dirname(SCREENSHOT), { recursive: true });
          await tab.screenshot({ path: SCREENSHOT, fullPage: true });
          const png = await fs.readFile(SCREENSHOT);
          expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
        } finally {
          await context?.close();
        }
      },
      { unsafeCleanup: true },
    );
  });
});
