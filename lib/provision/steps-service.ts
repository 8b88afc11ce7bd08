/**
 * What setup adds so that the doctor's hints run as printed: octolab-verify on PATH (a symlink in
 * <prefix>/usr/local/bin to this checkout's launcher) and, where systemd runs, the microvm-netd
 * unit, installed, enabled and started. Both are recorded in the install manifest, and rollback
 * removes them only while they are still what setup put there.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Host } from '../host/types.ts';
import { TOOL_NAME, TOOL_VERSION } from '../version.ts';
import { SetupError } from './errors.ts';
import type { InstallLayout } from './layout.ts';
import { readManifest, writeManifest } from './manifest.ts';
import type { InstallFs } from './ports.ts';
import type { PlanStep, StepOutcome } from './run-plan.ts';

/** The unit's name and where it goes under the prefix. */
export const NETD_UNIT = 'microvm-netd.service';
const UNIT_DIR = 'etc/systemd/system';
const SYSTEMCTL_TIMEOUT_MS = 60_000;

/** Where the launcher link goes: <prefix>/usr/local/bin/octolab-verify. */
export function launcherLinkOf(layout: InstallLayout): string {
  return path.join(layout.binDir, TOOL_NAME);
}

/** Where the unit goes: <prefix>/etc/systemd/system/microvm-netd.service. */
export function netdUnitPathOf(layout: InstallLayout): string {
  return path.join(layout.prefix, UNIT_DIR, NETD_UNIT);
}

/**
 * A launcher of this project, in this checkout or another: bin/octolab-verify.cjs, or
 * bin/octolab-verify.mjs, the name earlier setups linked (it still runs the CLI).
 */
const OUR_LAUNCHER = /\/bin\/octolab-verify\.(?:cjs|mjs)$/;

/**
 * Links octolab-verify on PATH to this checkout's launcher, re-pointing a link to one of this
 * project's launchers (the former name included); a file or a foreign link there is left alone.
 */
export function launcherStep(layout: InstallLayout, launcher: string, fs: InstallFs): PlanStep {
  const link = launcherLinkOf(layout);
  return {
    id: 'launcher',
    title: 'octolab-verify on PATH',
    plan: [`link ${link} -> ${launcher} (so hints can say \`octolab-verify\`)`],
    async run() {
      await fs.mkdirp(layout.binDir, 0o755);
      const manifest = await readManifest(fs, layout.manifest);
      const current = await fs.readLink(link);
      const ours = current !== null && (current === launcher || manifest.launcher?.target === current);
      if (current === null && (await fs.lstat(link)) !== null) {
        return { status: 'skipped', detail: `${link} exists and is not a symlink: left alone (run ${launcher} directly, or remove it and run setup again)` };
      }
      if (current !== null && !ours && !OUR_LAUNCHER.test(current)) {
        return { status: 'skipped', detail: `${link} points to ${current}, which setup did not install: left alone` };
      }
      const changed = current !== launcher;
      if (changed) await fs.replaceSymlink(launcher, link);
      await writeManifest(fs, layout.manifest, { ...manifest, launcher: { link, target: launcher } });
      return changed ? { status: 'done', detail: `linked ${link} -> ${launcher}` } : { status: 'unchanged', detail: `${link} already points to ${launcher}` };
    },
  };
}

/** What the netd unit runs and serves. */
export interface NetdUnitSettings {
  /** The command line before `netd serve`: node and the launcher link. */
  exec: readonly string[];
  socket: string;
  group: string;
}

/** Quotes a word for a systemd command line when it holds a space or a quote. */
function unitWord(word: string): string {
  return /^[^\s"'\\]+$/.test(word) ? word : `"${word.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * Returns the shipped unit (lib/netd/deploy/microvm-netd.service) with this host's command, socket,
 * run directory and group filled in. Throws when the template lacks a line it rewrites.
 */
export function renderNetdUnit(template: string, settings: NetdUnitSettings): string {
  const runDir = path.dirname(settings.socket);
  const replacements: Array<[RegExp, string]> = [
    [/^ExecStartPre=\+\/usr\/bin\/install .*$/m, `ExecStartPre=+/usr/bin/install -d -m 0750 -o root -g ${settings.group} ${unitWord(runDir)}`],
    [/^ExecStart=.*$/m, `ExecStart=${[...settings.exec, 'netd', 'serve', '--socket', settings.socket, '--group', settings.group].map(unitWord).join(' ')}`],
    [/^ReadWritePaths=.*$/m, `ReadWritePaths=-${unitWord(runDir)}`],
  ];
  let text = template.replace(/^(#[^\n]*\n)+/, `# Installed by ${TOOL_NAME} setup ${TOOL_VERSION}; removed by \`${TOOL_NAME} rollback\`.\n`);
  for (const [pattern, line] of replacements) {
    if (!pattern.test(text)) throw new SetupError({ code: 'NETD_UNIT_TEMPLATE', summary: `the shipped microvm-netd unit has no line matching ${pattern}`, hint: 'lib/netd/deploy/microvm-netd.service changed shape: update lib/provision/steps-service.ts with it.' });
    text = text.replace(pattern, line);
  }
  return text;
}

/** What the netd step needs. */
export interface NetdStepDeps {
  host: Host;
  fs: InstallFs;
  /** Where the shipped unit is (lib/netd/deploy/microvm-netd.service). */
  template: string;
  /** systemd runs under the prefix (<prefix>/run/systemd/system exists). */
  systemd: boolean;
  /** How to start netd by hand, for hosts without systemd (the doctor's hint text). */
  byHand: () => Promise<string>;
}

/**
 * Where systemd runs: writes the unit (if it changed), then `systemctl daemon-reload`, `enable` and
 * `start` (`restart` when the unit changed), recording the unit for rollback. Elsewhere: says how
 * to start netd by hand and changes nothing.
 */
export function netdUnitStep(layout: InstallLayout, settings: NetdUnitSettings, deps: NetdStepDeps): PlanStep {
  const unitPath = netdUnitPathOf(layout);
  if (!deps.systemd) {
    return {
      id: 'netd',
      title: 'microvm-netd',
      plan: ['systemd does not run here: no service is installed; the step says how to start microvm-netd by hand'],
      async run() {
        return { status: 'skipped', detail: `microvm-netd is not installed as a service: ${await deps.byHand()}` };
      },
    };
  }
  return {
    id: 'netd',
    title: 'microvm-netd service',
    plan: [`install ${unitPath} (netd serve --socket ${settings.socket} --group ${settings.group})`, `then systemctl daemon-reload, enable ${NETD_UNIT}, start it`],
    async run(): Promise<StepOutcome> {
      const { fs } = deps;
      const template = await fs.readText(deps.template);
      if (template === null) throw new SetupError({ code: 'NETD_UNIT_TEMPLATE', summary: `the shipped unit ${deps.template} is missing`, hint: 'Run setup from a complete checkout.' });
      const unit = renderNetdUnit(template, settings);
      const changed = (await fs.readText(unitPath)) !== unit;
      if (changed) {
        await fs.mkdirp(path.dirname(unitPath), 0o755);
        await fs.writeFileAtomic(unitPath, unit, { mode: 0o644 });
      }
      const manifest = await readManifest(fs, layout.manifest);
      await writeManifest(fs, layout.manifest, { ...manifest, netdUnit: { path: unitPath, sha256: createHash('sha256').update(unit).digest('hex') } });
      for (const args of [['daemon-reload'], ['enable', NETD_UNIT], [changed ? 'restart' : 'start', NETD_UNIT]]) await systemctl(deps.host, args);
      return { status: changed ? 'done' : 'unchanged', detail: `${changed ? 'installed' : 'kept'} ${unitPath}; enabled and ${changed ? 'restarted' : 'started'} ${NETD_UNIT} (\`systemctl status microvm-netd\`)` };
    },
  };
}

/** Runs one systemctl command; a failure is a SetupError with its output. */
export async function systemctl(host: Host, args: readonly string[]): Promise<void> {
  // Looked up on the host's PATH (the one the command was given), then run by its path.
  const file = (await host.proc.which('systemctl')) ?? 'systemctl';
  const result = await host.proc.run(file, args, { timeoutMs: SYSTEMCTL_TIMEOUT_MS });
  if (result.exitCode === 0) return;
  throw new SetupError({
    code: 'SYSTEMCTL_FAILED',
    summary: `\`${result.command}\` failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode}`})`,
    output: (result.stderr || result.stdout).trim() || undefined,
    hint: `See \`journalctl -u microvm-netd\` and \`systemctl status microvm-netd\`; fix it and run setup again.`,
  });
}
