import { describe, expect, it } from 'vitest';
import { FakeLinks } from '../../../fixtures/fake-links.ts';

describe('FakeLinks', () => {
  it('throws, naming the step, when asked to touch a device outside the obr/otp families', async () => {
    await expect(new FakeLinks().apply([{ op: 'delete', name: 'eth0' }])).rejects.toThrow(/unexpected step on "eth0"/);
    await expect(new FakeLinks().apply([{ op: 'set-master', name: 'otp1234567812', master: 'br-octonet' }])).rejects.toThrow(/br-octonet/);
  });

  it.each([
    ['a second bridge of the same name', [{ op: 'add-bridge', name: 'obr0000000000' }, { op: 'add-bridge', name: 'obr0000000000' }], 'EEXIST'],
    ['a second TAP of the same name', [{ op: 'add-tap', name: 'otp0000000000', owner: null }, { op: 'add-tap', name: 'otp0000000000', owner: null }], 'EBUSY'],
    ['a step on a missing device', [{ op: 'add-bridge', name: 'obr0000000000' }, { op: 'set-up', name: 'otp0000000000' }], 'ENODEV'],
  ] as const)('answers %s as the kernel does, stopping at that step', async (_label, ops, errno) => {
    const links = new FakeLinks();
    expect(await links.apply(ops)).toMatchObject({ ok: false, failure: { index: 1, errno } });
    expect(links.labLinkNames()).toHaveLength(1);
  });

  it('frees the ports of a deleted bridge, and reports an up TAP without reader as operstate down', async () => {
    const links = new FakeLinks();
    await links.apply([
      { op: 'add-bridge', name: 'obr0000000000' },
      { op: 'add-tap', name: 'otp0000000000', owner: 7 },
      { op: 'set-master', name: 'otp0000000000', master: 'obr0000000000' },
      { op: 'set-up', name: 'otp0000000000' },
      { op: 'delete', name: 'obr0000000000' },
    ]);
    expect(await links.listLabLinks()).toEqual([{ name: 'otp0000000000', kind: 'tap', alias: null, master: null, up: true, operState: 'down', owner: 7, carrier: false, addresses: [] }]);
  });

  it('models a TAP held open: carrier while up, none while down, EBUSY for delete-tap, while `delete` still removes it', async () => {
    const links = new FakeLinks().seed({ name: 'otp0000000000', kind: 'tap', up: false }).attach('otp0000000000');
    expect((await links.listLabLinks())[0]).toMatchObject({ up: false, carrier: null });
    await links.apply([{ op: 'set-up', name: 'otp0000000000' }]);
    expect((await links.listLabLinks())[0]).toMatchObject({ up: true, carrier: true, operState: 'up' });
    expect(await links.apply([{ op: 'delete-tap', name: 'otp0000000000' }])).toMatchObject({ ok: false, failure: { index: 0, errno: 'EBUSY' } });
    links.detach('otp0000000000');
    expect((await links.listLabLinks())[0]).toMatchObject({ carrier: false, operState: 'down' });
    expect(await links.apply([{ op: 'delete-tap', name: 'otp0000000000' }])).toEqual({ ok: true });
    expect(links.labLinkNames()).toEqual([]);
    links.seed({ name: 'otp0000000001', kind: 'tap' }).attach('otp0000000001');
    expect(await links.apply([{ op: 'delete', name: 'otp0000000001' }])).toEqual({ ok: true });
  });

  it('answers delete-tap as `ip tuntap del` does: a missing name succeeds, a bridge is EINVAL', async () => {
    const links = new FakeLinks().seed({ name: 'obr0000000000', kind: 'bridge' });
    expect(await links.apply([{ op: 'delete-tap', name: 'otp0000000000' }])).toEqual({ ok: true });
    expect(await links.apply([{ op: 'delete-tap', name: 'obr0000000000' }])).toMatchObject({ ok: false, failure: { errno: 'OTHER', message: 'ioctl(TUNSETIFF): Invalid argument' } });
    expect(() => links.attach('obr0000000000')).toThrow(/no such TAP/);
  });
});
