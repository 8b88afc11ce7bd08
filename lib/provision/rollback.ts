import { removeEnvBlocks, setEnvValue, type BlockEdit } from './env-block.ts';
import { updateEnvFile } from './env-file.ts';
import type { InstallLayout } from './layout.ts';
import type { InstallFs } from './ports.ts';
import { launcherRollbackStep, netdUnitRollbackStep, type ServiceRollbackDeps } from './rollback-service.ts';
import type { PlanStep } from './run-plan.ts';

/** What rollback was asked to do (the seed's rollback section, steps 1-4). */
export interface RollbackOptions {
  envFile: string;
  layout: InstallLayout;
  /** Step 3: remove <prefix>/var/lib/octolab/firecracker and <prefix>/var/lib/octolab/microvm. */
  removeAssets: boolean;
  /** Step 4: remove <prefix>/usr/local/bin/firecracker and jailer. */
  removeBinaries: boolean;
}

/** Removes every managed block (both marker forms) and sets OCTOLAB_RUNTIME=compose outside it. Pure. */
export function rollbackEnvText(text: string, file: string): BlockEdit {
  const without = removeEnvBlocks(text, file);
  const next = setEnvValue(without.text, 'OCTOLAB_RUNTIME', 'compose').text;
  return { text: next, removed: without.removed, changed: next !== text };
}

/**
 * Returns rollback as a list of steps: the env file, the netd service and the octolab-verify link
 * (when `service` is given), then (with flags) assets and binaries.
 */
export function planRollback(options: RollbackOptions, fs: InstallFs, service?: ServiceRollbackDeps): PlanStep[] {
  const { layout } = options;
  const steps: PlanStep[] = [
    {
      id: 'env-file',
      title: 'env file block',
      plan: [`remove the OCTOLAB MICROVM block (### and upstream # forms) from ${options.envFile}`, 'and set OCTOLAB_RUNTIME=compose (only if the file exists)'],
      async run() {
        const update = await updateEnvFile(fs, options.envFile, rollbackEnvText, { create: false });
        if (update.status === 'missing') return { status: 'skipped', detail: `${update.path} does not exist; nothing to roll back there` };
        if (update.status === 'unchanged') return { status: 'unchanged', detail: `${update.path} has no block and already says OCTOLAB_RUNTIME=compose` };
        const blocks = update.removed.length === 0 ? 'no block found' : `removed ${update.removed.map((b) => `lines ${b.beginLine}-${b.endLine} (${b.form === 'seed' ? '###' : 'upstream #'} form)`).join(', ')}`;
        return { status: 'done', detail: `${update.path}: ${blocks}; OCTOLAB_RUNTIME=compose` };
      },
    },
  ];
  if (service) steps.push(netdUnitRollbackStep(layout, service), launcherRollbackStep(layout, service.fs));
  if (options.removeAssets) {
    steps.push({
      id: 'assets',
      title: 'downloaded files and state',
      plan: [`remove ${layout.assetsDir} (kernel, rootfs, install record)`, `remove ${layout.stateDir} (lab state; run \`octolab-verify cleanup\` first)`],
      async run() {
        const removed: string[] = [];
        for (const dir of [layout.assetsDir, layout.stateDir]) if (await fs.removeTree(dir)) removed.push(dir);
        return removed.length === 0 ? { status: 'unchanged', detail: 'nothing to remove: neither directory exists' } : { status: 'done', detail: `removed ${removed.join(' and ')}` };
      },
    });
  }
  if (options.removeBinaries) {
    steps.push({
      id: 'binaries',
      title: 'firecracker and jailer',
      plan: [`remove ${layout.firecrackerBin} and ${layout.jailerBin}`],
      async run() {
        const removed: string[] = [];
        for (const file of [layout.firecrackerBin, layout.jailerBin]) if (await fs.removeFile(file)) removed.push(file);
        return removed.length === 0 ? { status: 'unchanged', detail: 'nothing to remove: neither binary exists' } : { status: 'done', detail: `removed ${removed.join(' and ')}` };
      },
    });
  }
  return steps;
}
