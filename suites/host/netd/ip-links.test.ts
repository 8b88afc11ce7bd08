import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { createIpLinks } from '../../../lib/host/ip-links.ts';
import { createRealHost } from '../../../lib/host/real-host.ts';
import type { LinkOp } from '../../../lib/netd/links.ts';
import { requireRoot, requireTools } from '../../support/require.ts';
import { createNetns, deleteNetns, labLinksIn, netnsExists } from './support.ts';

const made: { netns: string | null; rootLinks: string[] } = { netns: null, rootLinks: [] };

afterEach(async () => {
  if (made.netns) {
    await deleteNetns(made.netns);
    expect(await netnsExists(made.netns)).toBe(false);
    made.netns = null;
  }
  expect(await labLinksIn(null)).toEqual(made.rootLinks);
});

async function setup(ctx: TestContext) {
  requireRoot(ctx);
  requireTools(ctx, 'net', ['ip']);
  made.rootLinks = await labLinksIn(null);
  made.netns = await createNetns();
  return made.netns;
}

const ALIAS = 'octolab:lab=abcdef01-2345-4678-89ab-cdef01234567';
const CREATE: LinkOp[] = [
  { op: 'add-bridge', name: 'obrabcdef0123' },
  { op: 'set-alias', name: 'obrabcdef0123', alias: ALIAS },
  { op: 'set-up', name: 'obrabcdef0123' },
  { op: 'add-tap', name: 'otpabcdef0123', owner: 4321 },
  { op: 'set-alias', name: 'otpabcdef0123', alias: ALIAS },
  { op: 'set-master', name: 'otpabcdef0123', master: 'obrabcdef0123' },
  { op: 'set-up', name: 'otpabcdef0123' },
];

describe.each([
  ['one ip -batch process per request', true],
  ['one ip process per step (the benchmark baseline)', false],
])('iproute2 links with %s', (_label, batch) => {
  it('creates, reads back and deletes a bridge and a TAP inside the namespace only', { tags: ['root', 'net'] }, async (ctx) => {
    const netns = await setup(ctx);
    const links = createIpLinks({ proc: createRealHost().proc, netns, batch });
    await expect(links.apply(CREATE)).resolves.toEqual({ ok: true });
    expect(await links.listLabLinks()).toEqual([
      { name: 'obrabcdef0123', kind: 'bridge', alias: ALIAS, master: null, up: true, operState: expect.any(String), owner: null },
      { name: 'otpabcdef0123', kind: 'tap', alias: ALIAS, master: 'obrabcdef0123', up: true, operState: 'down', owner: 4321 },
    ]);
    await expect(links.apply([{ op: 'delete', name: 'otpabcdef0123' }, { op: 'delete', name: 'obrabcdef0123' }])).resolves.toEqual({ ok: true });
    expect(await links.listLabLinks()).toEqual([]);
  });

  it('stops at the first failing step and says which one and why', { tags: ['root', 'net'] }, async (ctx) => {
    const netns = await setup(ctx);
    const links = createIpLinks({ proc: createRealHost().proc, netns, batch });
    const result = await links.apply([CREATE[0]!, CREATE[0]!, { op: 'set-up', name: 'obrabcdef0123' }]);
    expect(result).toEqual({ ok: false, failure: { index: 1, errno: 'EEXIST', message: expect.stringContaining('File exists') } });
    expect((await links.listLabLinks())[0]).toMatchObject({ name: 'obrabcdef0123', up: false });
    const missing = await links.apply([{ op: 'delete', name: 'otp0000000000' }]);
    expect(missing).toMatchObject({ ok: false, failure: { index: 0, errno: 'ENODEV' } });
    const busy = await links.apply([{ op: 'add-tap', name: 'otp0000000001', owner: null }, { op: 'add-tap', name: 'otp0000000001', owner: null }]);
    expect(busy).toMatchObject({ ok: false, failure: { index: 1, errno: 'EBUSY' } });
  });
});
