import { describe, expect, it } from 'vitest';
import { diagChecks, diagVerdict } from '../../../lib/netd/views-diag.ts';
import { renderAlloc, renderDiag, renderList, renderPing, renderRelease } from '../../../lib/netd/render.ts';
import type { DiagDevice, DiagTap, DiagView, ListView } from '../../../lib/netd/views.ts';

const LAB = '12345678-1234-4234-8234-123456789abc';

function device(name: string, fields: Partial<DiagDevice> = {}): DiagDevice {
  return { name, exists: true, kind: name.startsWith('obr') ? 'bridge' : 'tap', up: true, state: 'down', master: null, owner_lab_id: LAB, owned: true, unknown: [], ...fields };
}

function perLabDiag(bridge: DiagDevice, tap: DiagTap, healthy: boolean): DiagView {
  const checks = diagChecks('per-lab', bridge, tap, undefined);
  return { lab_id: LAB, lab_id_suffix: null, design: 'per-lab', bridge, tap, network_params: null, healthy, checks, verdict: diagVerdict(healthy, checks) };
}

describe('netd text renderings', () => {
  it('renders a per-lab alloc with every guest parameter, and release as what went and what was already gone', () => {
    expect(
      renderAlloc({ lab_id: LAB, lab_id_suffix: '789abc', design: 'per-lab', bridge: 'obr1234567812', tap: 'otp1234567812', guest_ip: '10.77.3.2', gateway: '10.77.3.1', netmask: '255.255.255.0', dns: '8.8.8.8', created: false, missing: [] }),
    ).toBe(`lab ${LAB} (per-lab design): bridge obr1234567812, tap otp1234567812 (already present)\nguest: ip 10.77.3.2, gateway 10.77.3.1, netmask 255.255.255.0, dns 8.8.8.8\n`);
    expect(renderRelease({ lab_id: LAB, lab_id_suffix: null, design: 'per-lab', bridge_deleted: 'obr1234567812', tap_deleted: null })).toBe(`lab ${LAB} (per-lab design): deleted obr1234567812; tap already gone\n`);
    expect(renderRelease({ lab_id: LAB, lab_id_suffix: null, design: 'per-lab', bridge_deleted: null, tap_deleted: null })).toBe(`lab ${LAB} (per-lab design): tap and bridge already gone\n`);
  });

  it('names what an alloc reply lacks as OctoLab\'s backend would refuse it', () => {
    const text = renderAlloc({ lab_id: LAB, lab_id_suffix: null, design: 'per-lab', bridge: 'obr1234567812', tap: 'otp1234567812', guest_ip: null, gateway: null, netmask: null, dns: null, created: true, missing: ['guest_ip', 'gateway', 'netmask', 'dns'] });
    expect(text).toContain('guest: ip unknown, gateway unknown, netmask unknown, dns unknown');
    expect(text).toContain('the reply lacks guest_ip, gateway, netmask, dns: OctoLab\'s backend refuses such an alloc reply ("Missing required fields in response")');
  });

  it('renders a per-lab diag with the verdict, who owns each device, and the kernel\'s own "unknown" operstate quoted', () => {
    const text = renderDiag(perLabDiag(device('obr1234567812', { state: 'unknown', owned: false, owner_lab_id: null }), { ...device('otp1234567812', { exists: false }), owner_uid: null }, false));
    expect(text.split('\n').slice(0, 3)).toEqual([
      `lab ${LAB} (per-lab design): NOT healthy (the daemon says: not healthy)`,
      '  bridge obr1234567812: exists yes, kind bridge, up yes, operstate "unknown" (as the kernel says), NOT owned by any lab',
      '  tap    otp1234567812: absent',
    ]);
    expect(text).toContain('    FAIL devices owned by this lab: obr1234567812 not owned by this lab');
    expect(text).toContain('  guest: unknown (not reported)');
  });

  it('renders a TAP whose owner is not the daemon’s --tap-owner, and what to do about it', () => {
    const tap: DiagTap = { ...device('otp1234567812', { master: 'obr1234567812' }), owner_uid: 4242, owner_expected: 5555, owner_matches: false };
    const text = renderDiag(perLabDiag(device('obr1234567812'), tap, false));
    expect(text.split('\n')[2]).toBe(
      '  tap    otp1234567812: exists yes, kind tap, up yes, operstate down, master obr1234567812, owned by this lab, owner uid 4242, but this daemon gives TAPs ' +
        'to uid 5555 (--tap-owner 5555): the VMM it serves may be refused the TAP. Stop any VM holding it, then alloc the lab again: alloc replaces it',
    );
    expect(text).toContain("    FAIL tap owner is the daemon's --tap-owner: owner uid 4242, expected 5555");
  });

  it('renders a per-lab list, devices without an owner record, and an incomplete read', () => {
    const list: ListView = {
      design: 'per-lab',
      shape: 'interfaces',
      interfaces: [],
      labs: [{ lab_prefix: '1234567812', lab_id: LAB, bridge: 'obr1234567812', tap: 'otp1234567812' }],
      shared_bridges: [],
      unowned: ['obr0000000000'],
      count: 5,
      pages: 2,
      complete: false,
    };
    expect(renderList(list)).toBe(
      [
        'per-lab design',
        `${LAB}  obr1234567812  otp1234567812`,
        'unowned obr/otp devices (no owner record; alloc adopts one only as an interrupted alloc leaves it): obr0000000000',
        '0 interface(s) listed in 2 pages; the daemon counts 5: INCOMPLETE (the list changed while it was read, or the daemon stopped paging)',
        '',
      ].join('\n'),
    );
  });

  it('renders a ping whose reply lacks parts as unknown, naming what is missing', () => {
    expect(renderPing({ status: 'ok', version: '1.0', ts: null, missing: ['result.ts'] })).toBe('pong: status ok, version 1.0, ts unknown (the reply lacks result.ts)\n');
  });
});
