import { linkPath, type LinkRoute } from './cleanup-netd.ts';
import type { CleanupItem, CleanupPlan } from './cleanup-plan.ts';
import type { CleanupResult } from './cleanup-run.ts';
import { renderAge } from './duration.ts';

/** Describes one item in a line. Pure. */
export function describeCleanupItem(item: CleanupItem): string {
  if (item.kind === 'process') {
    const age = item.ageMs === null ? 'age unknown' : `running ${renderAge(item.ageMs)}`;
    return `process ${item.pid}  lab ${item.labId}  --api-sock ${item.apiSock}  (${age})`;
  }
  if (item.kind === 'link') return `${item.linkKind} ${item.name}${item.netns ? ` in netns ${item.netns}` : ''}  owner ${item.alias ?? `lab ${item.labId} (no alias: named for its lab dir, listed by microvm-netd)`}`;
  const sockets = item.sockets.length > 0 ? `, ${item.sockets.length} socket(s)` : '';
  return `lab dir ${item.path}  (last activity ${renderAge(item.ageMs)} ago${sockets})`;
}

/** Says how the links of the namespace cleanup runs in go: through microvm-netd or directly, and why. Pure. */
export function renderLinkRoute(route: LinkRoute, dryRun: boolean): string[] {
  if (route.unavailable !== null) {
    return [`  links: ${dryRun ? 'would delete' : 'deleting'} them directly with ip: microvm-netd at ${route.socketPath} does not answer (${route.unavailable})`];
  }
  const design = route.design ? `; ${route.design} design${route.design === 'shared-bridge' ? ': release deletes only the TAP' : ''}` : '';
  const lines = [`  links: ${dryRun ? 'would release' : 'releasing'} lab by lab through microvm-netd at ${route.socketPath} (release_vm_net; it answered hello and ping${design})`];
  for (const [labId, why] of route.direct) lines.push(`    lab ${labId} directly with ip: ${why}`);
  return lines;
}

/** Renders the plan (what will go, what stays and why, and the links' route); `dryRun` words the heading. Pure. */
export function renderCleanupPlan(plan: CleanupPlan, stateDir: string, dryRun: boolean, route: LinkRoute | null = null): string {
  const lines = [`cleanup of ${stateDir}${plan.olderThanMs > 0 ? ` (only what is older than ${renderAge(plan.olderThanMs)})` : ''}${dryRun ? ' — dry run, nothing is changed' : ''}`];
  if (plan.remove.length === 0) lines.push('  nothing left behind by a lab was found');
  else {
    lines.push(`  ${dryRun ? 'would remove' : 'removing'} ${plan.remove.length} item(s):`);
    for (const item of plan.remove) {
      const via = item.kind !== 'link' ? '' : linkPath(item, route) === 'netd' ? '  [through microvm-netd]' : '  [directly with ip]';
      lines.push(`    - ${describeCleanupItem(item)}${via}`);
    }
    if (route) lines.push(...renderLinkRoute(route, dryRun));
  }
  if (plan.kept.length > 0) {
    lines.push(`  left alone:`);
    for (const kept of plan.kept) lines.push(`    - ${kept.what}: ${kept.why}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Renders the outcome of a run, one line per item, and a closing count. Pure. */
export function renderCleanupResult(result: CleanupResult): string {
  const lines = result.outcomes.map((o) => `  [${o.status === 'failed' ? 'FAIL' : o.status}] ${o.detail}`);
  const failed = result.outcomes.filter((o) => o.status === 'failed').length;
  const removed = result.outcomes.filter((o) => o.status === 'removed').length;
  lines.push(failed > 0 ? `cleanup: ${removed} removed, ${failed} failed` : `cleanup: ${removed} removed`);
  return `${lines.join('\n')}\n`;
}
