import path from 'node:path';
import { formatMode } from '../host/permissions.ts';
import type { Host } from '../host/types.ts';
import { replaceEnvBlock } from './env-block.ts';
import { updateEnvFile } from './env-file.ts';
import { SetupError } from './errors.ts';
import type { InstallLayout } from './layout.ts';
import type { InstallFs } from './ports.ts';
import type { PlanStep, StepOutcome } from './run-plan.ts';

/** Owner of what setup creates for the invoking user; null means "whoever runs setup". */
export type Owner = { uid: number; gid: number } | null;

/**
 * Creates the state directory (mode 0700; parents 0755) and gives it to the invoking user
 * (SUDO_UID/SUDO_GID), as the seed's setup does "for dev convenience". An existing directory
 * keeps its mode; only its owner is corrected.
 */
export function stateDirStep(layout: InstallLayout, owner: Owner, fs: InstallFs): PlanStep {
  const who = owner ? `uid ${owner.uid}, gid ${owner.gid} (the user who ran sudo)` : 'the user running setup';
  return {
    id: 'state-dir',
    title: 'state directory',
    plan: [`create ${layout.stateDir} (mode 0700), owned by ${who}`],
    async run() {
      await fs.mkdirp(path.dirname(layout.stateDir), 0o755);
      const created = await fs.mkdirp(layout.stateDir, 0o700);
      const info = await fs.lstat(layout.stateDir);
      if (info?.kind !== 'directory') {
        throw new SetupError({ code: 'STATE_DIR_NOT_DIR', summary: `${layout.stateDir} is a ${info?.kind ?? 'missing path'}, not a directory`, hint: 'Move it away, then run setup again.' });
      }
      const chowned = owner !== null && (info.uid !== owner.uid || info.gid !== owner.gid);
      if (chowned) await fs.chown(layout.stateDir, owner.uid, owner.gid);
      const shape = `mode ${formatMode(info.mode)}, owner ${owner?.uid ?? info.uid}:${owner?.gid ?? info.gid}`;
      if (created.length > 0) return { status: 'done', detail: `created ${layout.stateDir} (${shape})` };
      return chowned ? { status: 'done', detail: `${layout.stateDir} exists; owner set (${shape})` } : { status: 'unchanged', detail: `${layout.stateDir} exists (${shape})` };
    },
  };
}

/** Creates the system group netd's socket belongs to (`groupadd --system`), unless it exists. */
export function groupStep(group: string, host: Host): PlanStep {
  return {
    id: 'group',
    title: `group ${group}`,
    plan: [`create the system group ${group} (groupadd --system) unless it exists`],
    async run(): Promise<StepOutcome> {
      const found = await host.users.group(group);
      if (found) return { status: 'unchanged', detail: `group ${group} exists (gid ${found.gid})` };
      const result = await host.proc.run('groupadd', ['--system', group], { timeoutMs: 30_000 });
      // groupadd exits 9 when the name is taken: someone created it between the check and now.
      if (result.exitCode === 9) return { status: 'unchanged', detail: `group ${group} exists` };
      if (result.exitCode !== 0) {
        throw new SetupError({
          code: 'GROUPADD_FAILED',
          summary: `could not create group ${group}`,
          attempted: result.command,
          reason: result.timedOut ? 'timed out' : `exit ${result.exitCode}`,
          output: result.stderr.trim() || undefined,
          hint: 'Run setup as root (sudo), or create the group yourself and run again.',
        });
      }
      const created = await host.users.group(group);
      return { status: 'done', detail: `created group ${group}${created ? ` (gid ${created.gid})` : ''}; add users with: usermod -aG ${group} USER` };
    },
  };
}

/** The settings setup writes into the env file block. */
export interface EnvSettings {
  layout: InstallLayout;
  allowNoJailer: boolean;
  netdSocket: string;
  /** The netd group, written only when it is not the default `octolab`. */
  group: string | null;
}

/** Returns the block's KEY=VALUE pairs, with the seed's variable names. */
export function envBlockEntries(settings: EnvSettings): Array<[string, string]> {
  const { layout } = settings;
  const entries: Array<[string, string]> = [
    ['OCTOLAB_RUNTIME', 'firecracker'],
    ['OCTOLAB_FIRECRACKER_BIN', layout.firecrackerBin],
    ['OCTOLAB_MICROVM_JAILER_BIN', layout.jailerBin],
    ['OCTOLAB_MICROVM_KERNEL_PATH', layout.kernel],
    ['OCTOLAB_MICROVM_ROOTFS_BASE_PATH', layout.rootfs],
    ['OCTOLAB_MICROVM_STATE_DIR', layout.stateDir],
    ['OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER', settings.allowNoJailer ? 'true' : 'false'],
    ['OCTOLAB_MICROVM_NETD_SOCK', settings.netdSocket],
  ];
  if (settings.group !== null && settings.group !== 'octolab') entries.push(['OCTOLAB_NETD_GROUP', settings.group]);
  return entries;
}

/** Comment line written inside the block. */
export const BLOCK_COMMENT = 'Managed by octolab-verify setup; remove with: octolab-verify rollback';

/** Writes the configuration block into the env file (replacing an earlier block in either marker form). */
export function envFileStep(envFile: string, settings: EnvSettings, owner: Owner, fs: InstallFs): PlanStep {
  const entries = envBlockEntries(settings);
  return {
    id: 'env-file',
    title: 'env file block',
    plan: [`write the OCTOLAB MICROVM block into ${envFile} (other lines kept):`, ...entries.map(([key, value]) => `  ${key}=${value}`)],
    async run() {
      const update = await updateEnvFile(fs, envFile, (text, file) => replaceEnvBlock(text, entries, file, BLOCK_COMMENT), { create: true, owner: owner ?? undefined });
      const replaced = update.removed.length > 0 ? `, replaced ${update.removed.map((b) => `the ${b.form === 'seed' ? '###' : 'upstream #'} block at lines ${b.beginLine}-${b.endLine}`).join(' and ')}` : '';
      if (update.status === 'unchanged') return { status: 'unchanged', detail: `${update.path} already holds this block` };
      return { status: 'done', detail: `${update.status === 'created' ? 'created' : 'updated'} ${update.path}${replaced}` };
    },
  };
}

/** What a doctor run after setup reported. */
export interface DoctorOutcome {
  exitCode: number;
  /** One line: the report's summary. */
  summary: string;
  /** The rendered report. */
  text: string;
}

/** Runs the doctor with the settings just written; its exit code becomes setup's. */
export function doctorStep(envFile: string, runDoctor: (envFile: string) => Promise<DoctorOutcome>): PlanStep {
  return {
    id: 'doctor',
    title: 'doctor',
    plan: [`run the doctor with ${envFile} (exit code 2 when a fatal check fails)`],
    async run() {
      const outcome = await runDoctor(envFile);
      return { status: 'done', detail: `doctor: ${outcome.summary} (exit ${outcome.exitCode})`, output: outcome.text, exitCode: outcome.exitCode };
    },
  };
}
