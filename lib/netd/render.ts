import type { AllocView, DiagCheck, DiagDevice, DiagTap, DiagView, GuestNetwork, ListView, NetdDesign, NetdIdentity, PingView, ReleaseView } from './views.ts';

/**
 * Pure text renderings of the client's views, for `octolab-verify netd …` without --json. A fact
 * the daemon did not send prints as "unknown", never as a value it might have had.
 */

const UNKNOWN = 'unknown';

function orUnknown(value: string | number | null): string {
  return value === null ? UNKNOWN : String(value);
}

/** Returns the design as a phrase: "per-lab design", "shared-bridge design", or "design unknown". */
export function renderDesign(design: NetdDesign | null): string {
  return design === null ? 'design unknown' : `${design} design`;
}

/** Returns `hello` (or its absence) with the design and what it was read from. */
export function renderHello(identity: NetdIdentity): string {
  const lines: string[] = [];
  if (identity.hello === null) {
    lines.push('no hello: the daemon answered UNKNOWN_OP (api_version, build and ops unknown)');
  } else {
    const hello = identity.hello;
    lines.push(`${orUnknown(hello.name)} api_version ${hello.api_version} build ${orUnknown(hello.build_id)}`);
    lines.push(`ops: ${hello.supported_ops.join(', ') || 'none listed'}`);
  }
  lines.push(`design: ${identity.design ?? UNKNOWN} (${identity.design_evidence})`);
  return `${lines.join('\n')}\n`;
}

/** Returns `ping` as one line; a reply without result (or parts of it) says so. */
export function renderPing(ping: PingView): string {
  const line = `pong: status ${orUnknown(ping.status)}, version ${orUnknown(ping.version)}, ts ${orUnknown(ping.ts)}`;
  return ping.missing.length === 0 ? `${line}\n` : `${line} (the reply lacks ${ping.missing.join(', ')})\n`;
}

/** Returns the guest's parameters as one line, "unknown" for each the daemon did not send. */
export function renderGuest(guest: GuestNetwork): string {
  return `guest: ip ${orUnknown(guest.guest_ip)}, gateway ${orUnknown(guest.gateway)}, netmask ${orUnknown(guest.netmask)}, dns ${orUnknown(guest.dns)}`;
}

/** Returns alloc as the lab, its devices by design, and the guest's parameters. */
export function renderAlloc(view: AllocView): string {
  const created = view.created === null ? 'created or already present: the daemon does not say' : view.created ? 'created' : 'already present';
  const devices = view.design === 'per-lab' ? `bridge ${view.bridge}, tap ${view.tap}` : `tap ${view.tap} on the shared bridge ${view.bridge}`;
  const lines = [`lab ${view.lab_id} (${renderDesign(view.design)}): ${devices} (${created})`, renderGuest(view)];
  if (view.missing.length > 0) lines.push(`the reply lacks ${view.missing.join(', ')}: OctoLab's backend refuses such an alloc reply ("Missing required fields in response")`);
  return `${lines.join('\n')}\n`;
}

/** Returns release as what was deleted, by design. */
export function renderRelease(view: ReleaseView): string {
  if (view.design === 'shared-bridge') {
    const tap = view.tap_deleted ? `tap ${view.tap_deleted} released (deleted, or already gone: this daemon does not say which)` : 'the tap was already gone';
    return `lab ${view.lab_id} (shared-bridge design): ${tap}; the shared bridge stays (release deletes only the lab's TAP)\n`;
  }
  const deleted = [view.tap_deleted, view.bridge_deleted].filter((name): name is string => name !== null);
  const gone = [view.tap_deleted === null && 'tap', view.bridge_deleted === null && 'bridge'].filter(Boolean);
  const parts = [deleted.length > 0 && `deleted ${deleted.join(', ')}`, gone.length > 0 && `${gone.join(' and ')} already gone`].filter(Boolean);
  return `lab ${view.lab_id} (per-lab design): ${parts.join('; ')}\n`;
}

function yesNo(value: boolean | null): string {
  return value === null ? UNKNOWN : value ? 'yes' : 'no';
}

function ownerPhrase(device: DiagDevice): string {
  if (device.owned === true) return 'owned by this lab';
  if (device.owner_lab_id !== null) return `owned by lab ${device.owner_lab_id}`;
  if (device.owned === false) return 'NOT owned by any lab';
  return `owner ${UNKNOWN}`;
}

function operstate(device: DiagDevice): string {
  // The kernel itself may say "unknown" (a bridge without ports): quoted, it cannot pass for "not reported".
  if (device.state === 'unknown') return 'operstate "unknown" (as the kernel says)';
  return `operstate ${orUnknown(device.state)}`;
}

function renderDevice(label: string, device: DiagDevice, design: NetdDesign, extra = ''): string {
  if (device.exists === false) return `  ${label} ${device.name}: absent`;
  const facts = [`exists ${yesNo(device.exists)}`, `kind ${orUnknown(device.kind)}`, `up ${yesNo(device.up)}`, operstate(device)];
  if (label.trim() === 'tap' || device.master !== null) facts.push(`master ${device.unknown.includes('master') ? UNKNOWN : (device.master ?? 'none')}`);
  if (design === 'per-lab') facts.push(ownerPhrase(device));
  return `  ${label} ${device.name}: ${facts.join(', ')}${extra}`;
}

/** The TAP owner facts of the per-lab reference daemon, and what to do when they do not match. */
function tapOwner(tap: DiagTap): string {
  let owner = tap.owner_uid === null ? '' : `, owner uid ${tap.owner_uid}`;
  if (tap.exists && tap.owner_matches === false) {
    const wanted = tap.owner_expected === null || tap.owner_expected === undefined ? 'to no user (it runs without --tap-owner)' : `to uid ${tap.owner_expected} (--tap-owner ${tap.owner_expected})`;
    owner +=
      `${tap.owner_uid === null ? ', no owner' : ''}, but this daemon gives TAPs ${wanted}: the VMM it serves may be refused the TAP. ` +
      'Stop any VM holding it, then alloc the lab again: alloc replaces it';
  }
  return owner;
}

function renderCheck(check: DiagCheck): string {
  const mark = check.ok === null ? '?   ' : check.ok ? 'ok  ' : 'FAIL';
  return `    ${mark} ${check.name}: ${check.detail}`;
}

const VERDICT = { healthy: 'healthy', 'not-healthy': 'NOT healthy', unknown: 'health unknown' } as const;

/** Returns diag as the verdict, one line per device, the guest's parameters and the client's checks. */
export function renderDiag(view: DiagView): string {
  const guest = view.network_params === null ? `guest: ${view.checks.some((c) => c.name === 'guest network parameters' && c.ok === false) ? 'none (the daemon says the lab has no addresses)' : `${UNKNOWN} (not reported)`}` : renderGuest(view.network_params);
  return [
    `lab ${view.lab_id} (${renderDesign(view.design)}): ${VERDICT[view.verdict]} (the daemon says: ${view.healthy === null ? 'nothing' : view.healthy ? 'healthy' : 'not healthy'})`,
    renderDevice('bridge', view.bridge, view.design),
    renderDevice('tap   ', view.tap, view.design, tapOwner(view.tap)),
    `  ${guest}`,
    '  checks:',
    ...view.checks.map(renderCheck),
    '',
  ].join('\n');
}

/** Returns list as the design, the shared bridge, one line per lab, then devices no lab owns. */
export function renderList(view: ListView): string {
  const lines = [`${renderDesign(view.design)}${view.design === null ? ' (nothing listed tells)' : ''}`];
  for (const bridge of view.shared_bridges) lines.push(`shared bridge ${bridge} (every lab's TAP is enslaved to it; never a lab's to delete)`);
  for (const lab of view.labs) lines.push(`${lab.lab_id ?? `lab ${UNKNOWN} (prefix ${lab.lab_prefix})`}  ${lab.bridge ?? '-'}  ${lab.tap ?? '-'}`);
  if (view.labs.length === 0) lines.push('no lab has devices');
  const legacy = view.interfaces.filter((e) => e.legacy).map((e) => e.name);
  if (legacy.length > 0) lines.push(`legacy per-lab bridges (left from the per-lab design): ${legacy.join(', ')}`);
  if (view.unowned.length > 0) lines.push(`unowned obr/otp devices (no owner record; alloc adopts one only as an interrupted alloc leaves it): ${view.unowned.join(', ')}`);
  const pages = view.pages > 1 ? ` in ${view.pages} pages` : '';
  const count = view.count === null ? 'the daemon sent no count' : `the daemon counts ${view.count}`;
  lines.push(`${view.interfaces.length} interface(s) listed${pages}; ${count}${view.complete ? '' : ': INCOMPLETE (the list changed while it was read, or the daemon stopped paging)'}`);
  return `${lines.join('\n')}\n`;
}
