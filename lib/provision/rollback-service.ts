/**
 * Rollback of what setup added for the hints (lib/provision/steps-service.ts): the microvm-netd
 * unit (stopped, disabled, removed, systemd reloaded) and the octolab-verify link, each only when
 * the install manifest records it and it is still what setup put there.
 */
import { createHash } from 'node:crypto';
import type { Host } from '../host/types.ts';
import type { InstallLayout } from './layout.ts';
import { readManifest, writeManifest } from './manifest.ts';
import type { InstallFs } from './ports.ts';
import type { PlanStep } from './run-plan.ts';
import { NETD_UNIT, launcherLinkOf, netdUnitPathOf, systemctl } from './steps-service.ts';

/** What the service rollback steps need. */
export interface ServiceRollbackDeps {
  fs: InstallFs;
  host: Host;
  /** systemd runs under the prefix: the unit is stopped and disabled before it is removed. */
  systemd: boolean;
}

/** Stops, disables and removes the netd unit setup installed (an edited unit is left alone). */
export function netdUnitRollbackStep(layout: InstallLayout, deps: ServiceRollbackDeps): PlanStep {
  const unitPath = netdUnitPathOf(layout);
  return {
    id: 'netd',
    title: 'microvm-netd service',
    plan: [`when setup installed it: ${deps.systemd ? `systemctl disable --now ${NETD_UNIT}, ` : ''}remove ${unitPath}${deps.systemd ? ', systemctl daemon-reload' : ''}`],
    async run() {
      const { fs } = deps;
      const manifest = await readManifest(fs, layout.manifest);
      const record = manifest.netdUnit;
      if (!record) return { status: 'unchanged', detail: 'setup installed no microvm-netd unit here' };
      const text = await fs.readText(record.path);
      if (text !== null && createHash('sha256').update(text).digest('hex') !== record.sha256) {
        return { status: 'skipped', detail: `${record.path} was changed since setup installed it: left alone (remove it yourself)` };
      }
      if (deps.systemd) await systemctl(deps.host, ['disable', '--now', NETD_UNIT]);
      const removed = text !== null && (await fs.removeFile(record.path));
      if (deps.systemd) await systemctl(deps.host, ['daemon-reload']);
      const { netdUnit: _dropped, ...rest } = manifest;
      await writeManifest(fs, layout.manifest, rest);
      return { status: 'done', detail: `${deps.systemd ? `stopped and disabled ${NETD_UNIT}; ` : ''}${removed ? `removed ${unitPath}` : `${unitPath} was already gone`}` };
    },
  };
}

/** Removes the octolab-verify link setup made, while it still points where setup pointed it. */
export function launcherRollbackStep(layout: InstallLayout, fs: InstallFs): PlanStep {
  const link = launcherLinkOf(layout);
  return {
    id: 'launcher',
    title: 'octolab-verify on PATH',
    plan: [`remove ${link} when setup made it and it still points to the launcher setup linked`],
    async run() {
      const manifest = await readManifest(fs, layout.manifest);
      const record = manifest.launcher;
      if (!record) return { status: 'unchanged', detail: 'setup made no octolab-verify link here' };
      const current = await fs.readLink(record.link);
      if (current !== null && current !== record.target) return { status: 'skipped', detail: `${record.link} now points to ${current}: left alone` };
      const removed = current !== null && (await fs.removeFile(record.link));
      const { launcher: _dropped, ...rest } = manifest;
      await writeManifest(fs, layout.manifest, rest);
      return { status: 'done', detail: removed ? `removed ${record.link}` : `${record.link} was already gone` };
    },
  };
}
