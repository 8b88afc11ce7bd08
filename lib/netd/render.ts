import type { AllocResult, DiagLink, DiagResult, HelloReply, ListResult, PingReply, ReleaseResult } from './protocol.ts';

/** Pure text renderings of the daemon's answers, for `octolab-verify netd …` without --json. */

/** Returns `hello` as name, api version, build and ops. */
export function renderHello(hello: HelloReply): string {
  return `${hello.name} api_version ${hello.api_version} build ${hello.build_id}\nops: ${hello.supported_ops.join(', ')}\n`;
}

/** Returns `ping` as one line. */
export function renderPing(result: PingReply['result']): string {
  return `pong: status ${result.status}, version ${result.version}, ts ${result.ts}\n`;
}

/** Returns alloc as the lab and its two devices. */
export function renderAlloc(result: AllocResult): string {
  return `lab ${result.lab_id}: bridge ${result.bridge}, tap ${result.tap} (${result.created ? 'created' : 'already present'})\n`;
}

/** Returns release as what was deleted. */
export function renderRelease(result: ReleaseResult): string {
  const deleted = [result.tap_deleted, result.bridge_deleted].filter(Boolean);
  return `lab ${result.lab_id}: ${deleted.length ? `deleted ${deleted.join(', ')}` : 'nothing to delete'}\n`;
}

function renderDiagLink(label: string, link: DiagLink, extra = ''): string {
  if (!link.exists) return `  ${label} ${link.name}: absent`;
  const owner = link.owned ? 'owned' : link.owner_lab_id ? `owned by lab ${link.owner_lab_id}` : 'NOT owned by any lab';
  return `  ${label} ${link.name}: ${link.kind}, ${link.up ? 'up' : 'down'} (operstate ${link.state}), ${owner}${link.master ? `, master ${link.master}` : ''}${extra}`;
}

/** Returns diag as a verdict line and one line per device. */
export function renderDiag(result: DiagResult): string {
  const { owner_uid: uid, owner_expected: expected, owner_matches: matches, exists } = result.tap;
  let owner = uid === null ? '' : `, owner uid ${uid}`;
  if (exists && matches === false) {
    const wanted = expected === null || expected === undefined ? 'to no user (it runs without --tap-owner)' : `to uid ${expected} (--tap-owner ${expected})`;
    owner +=
      `${uid === null ? ', no owner' : ''}, but this daemon gives TAPs ${wanted}: the VMM it serves may be refused the TAP. ` +
      'Stop any VM holding it, then alloc the lab again: alloc replaces it';
  }
  return [
    `lab ${result.lab_id}: ${result.healthy ? 'healthy' : 'NOT healthy'}`,
    renderDiagLink('bridge', result.bridge),
    renderDiagLink('tap   ', result.tap, owner),
    '',
  ].join('\n');
}

/** Returns list as one line per lab, then the unowned devices. */
export function renderList(result: ListResult): string {
  const lines = result.labs.map((lab) => `${lab.lab_id}  ${lab.bridge ?? '(no bridge)'}  ${lab.tap ?? '(no tap)'}`);
  if (lines.length === 0) lines.push('no lab owns devices');
  if (result.unowned.length > 0) lines.push(`unowned obr/otp devices (no owner record; alloc adopts one only as an interrupted alloc leaves it): ${result.unowned.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
