import type { BootResult } from './boot-result.ts';
import { describeNetwork } from './netd-lease.ts';
import type { StageTiming } from './run-steps.ts';

/** Renders a duration: `850 ms`, `2.31 s`. */
export function renderMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

const MARKS: Record<StageTiming['status'], string> = { passed: '✓', failed: '✗', stopped: '-', 'not-run': '·' };

/**
 * Renders one stage line: `  ✓ api-socket        12 ms  wait for the API socket`; a stage told
 * to stop because the boot ended at another one says so after its title.
 */
export function renderStageLine(stage: Pick<StageTiming, 'name' | 'title' | 'ms' | 'status'>): string {
  const time = stage.status === 'not-run' ? 'not run' : renderMs(stage.ms);
  return `  ${MARKS[stage.status]} ${stage.name.padEnd(15)}${time.padStart(9)}  ${stage.title}${stage.status === 'stopped' ? ' (stopped: the boot ended at another stage)' : ''}`;
}

/** Options of the text rendering. */
export interface RenderBootOptions {
  /** Include the stage table (false when a live display already showed each stage). */
  stages: boolean;
}

/** Renders a boot result as text; a passing boot ends on the marker line itself. */
export function renderBootText(result: BootResult, options: RenderBootOptions = { stages: true }): string {
  const lines: string[] = [];
  const facts = [`lab ${result.labId}`, result.firecrackerVersion && `firecracker ${result.firecrackerVersion}`, result.rootfsCopy && `rootfs ${result.rootfsCopy}`, result.network && describeNetwork(result.network)]
    .filter(Boolean)
    .join(', ');
  lines.push(result.ok ? `boot passed in ${renderMs(result.totalMs)} (${facts})` : `boot FAILED at stage "${result.failedStage}" after ${renderMs(result.totalMs)} (${facts})`);
  if (options.stages) lines.push(...result.stages.map(renderStageLine));
  if (result.error) lines.push(`error: ${result.error.message}`);
  for (const cleanup of result.cleanupErrors) lines.push(`cleanup failed: ${cleanup.name}: ${cleanup.message}`);
  if (result.kept) lines.push(...renderKept(result));
  if (result.ok && result.markerLine) {
    lines.push(`marker seen on serial line ${result.markerLine.lineNumber}${result.kept ? ` of ${result.serialLogPath}` : ''}:`, result.markerLine.text);
  }
  return `${lines.join('\n')}\n`;
}

/** KEEP mode: how to reach the VM and how to remove it. */
function renderKept(result: BootResult): string[] {
  const pid = result.pid ?? 0;
  const lines = [
    'kept: the VM and its lab directory stay (KEEP mode); a guest that reboots still ends firecracker',
    `  pid:         ${pid} (its own process group)`,
    `  API socket:  ${result.socketPath}  (curl --unix-socket ${result.socketPath} http://localhost/)`,
    `  serial log:  ${result.serialLogPath}  (tail -f)`,
    `  log:         ${result.logPath}`,
    `  remove it:   kill -KILL -- -${pid}; rm -rf ${result.labDir}`,
  ];
  if (result.network) lines.push(`  network:     TAP ${result.network.tap} stays allocated; release it with \`octolab-verify cleanup\` (netd release_vm_net ${result.labId})`);
  lines.push('  or remove everything with `octolab-verify cleanup`');
  return lines;
}
