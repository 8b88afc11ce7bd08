import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byName } from '../../../lib/netd/link-plan.ts';
import type { LinkState } from '../../../lib/netd/links.ts';
import { listEntries, renderListPage } from '../../../lib/netd/list-page.ts';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { MAX_RESPONSE_BYTES, type PerLabListResult } from '../../../lib/netd/protocol.ts';

function device(name: string, alias: string | null): LinkState {
  return { name, kind: name.startsWith('obr') ? 'bridge' : 'tap', alias, master: null, up: true, operState: 'unknown', owner: null, carrier: null, addresses: [] };
}

/** `labs` owned labs (both devices) and `stray` unowned devices, as a listing. */
function listing(labs: number, stray = 0): Map<string, LinkState> {
  const links: LinkState[] = [];
  for (let i = 0; i < labs; i++) {
    const names = labLinkNames(`${(i * 7919).toString(16).padStart(8, '0')}-${(i % 256).toString(16).padStart(2, '0')}00-4000-8000-000000000000`);
    links.push(device(names.tap, names.alias), device(names.bridge, names.alias));
  }
  for (let i = 0; i < stray; i++) links.push(device(`otp${(0xf000000000 + i).toString(16)}`, null));
  return byName(links);
}

/** The bytes of the whole reply the daemon sends for a page. */
function replyBytes(page: PerLabListResult): number {
  return Buffer.byteLength(JSON.stringify({ ok: true, result: page }));
}

/** Follows next_offset from 0 and returns every page. */
function allPages(links: Map<string, LinkState>, limit = MAX_RESPONSE_BYTES): PerLabListResult[] {
  const pages = [renderListPage(links, 0, limit)];
  while (pages.at(-1)!.truncated) pages.push(renderListPage(links, pages.at(-1)!.next_offset!, limit));
  return pages;
}

describe('list pages', () => {
  it('orders entries by prefix with each lab\'s bridge first, owned entries without an owned field', () => {
    const entries = listEntries(listing(3, 1));
    expect(entries.map((e) => e.type)).toEqual(['bridge', 'tap', 'bridge', 'tap', 'bridge', 'tap', 'tap']);
    expect(entries.filter((e) => 'owned' in e)).toEqual([{ name: 'otpf000000000', type: 'tap', owned: false }]);
    for (let i = 0; i < 6; i += 2) expect(entries[i]!.name.slice(3)).toBe(entries[i + 1]!.name.slice(3));
  });

  it('puts 150 labs (300 devices) in one reply well under 16,384 bytes', () => {
    const page = renderListPage(listing(150));
    expect(page).toMatchObject({ count: 300, truncated: false });
    expect(page.interfaces).toHaveLength(300);
    expect(page).not.toHaveProperty('next_offset');
    expect(replyBytes(page)).toBeLessThan(12_500);
  });

  it('pages 500 labs: every reply at most 16,384 bytes, each page filled, next_offset reaching every device exactly once', () => {
    const links = listing(500);
    const pages = allPages(links);
    expect(pages.length).toBe(3);
    for (const page of pages) {
      expect(page.count).toBe(1000);
      expect(replyBytes(page)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    }
    // Full pages leave no room for one more entry.
    for (const page of pages.slice(0, -1)) expect(replyBytes(page) + 42).toBeGreaterThan(MAX_RESPONSE_BYTES);
    const names = pages.flatMap((page) => page.interfaces.map((entry) => entry.name));
    expect(names).toEqual(listEntries(links).map((entry) => entry.name));
  });

  it('keeps any mix of owned and unowned devices within any limit, as one parseable document per page', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 300, max: 20_000 }), (labs, stray, limit) => {
        const links = listing(labs, stray);
        const pages = allPages(links, limit);
        for (const page of pages) expect(replyBytes(page)).toBeLessThanOrEqual(limit);
        expect(pages.flatMap((page) => page.interfaces)).toEqual(listEntries(links));
      }),
      { numRuns: 30 },
    );
  });

  it('answers an offset at or past the end with no entries and not truncated', () => {
    expect(renderListPage(listing(2), 4)).toEqual({ interfaces: [], count: 4, truncated: false });
    expect(renderListPage(listing(2), 99)).toEqual({ interfaces: [], count: 4, truncated: false });
    expect(renderListPage(new Map())).toEqual({ interfaces: [], count: 0, truncated: false });
  });
});
