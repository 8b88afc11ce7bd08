import path from 'node:path';
import type { Host } from '../host/types.ts';
import type { FirecrackerRelease, KernelArtifact } from './artifacts.ts';
import type { InstallLayout } from './layout.ts';
import type { InstallFs } from './ports.ts';
import type { PlanStep } from './run-plan.ts';
import type { Mirror } from './sources.ts';
import { firecrackerStep, kernelStep, rootfsStep, type AssetStepDeps, type BuildRootfs } from './steps-assets.ts';
import { launcherStep, netdUnitStep, type NetdUnitSettings } from './steps-service.ts';
import { doctorStep, envFileStep, groupStep, stateDirStep, type DoctorOutcome, type Owner } from './steps-system.ts';

/** Everything setup was asked to do. */
export interface SetupOptions {
  layout: InstallLayout;
  release: FirecrackerRelease;
  kernel: KernelArtifact;
  mirror: Mirror | null;
  /** Absolute path of backend/.env.local (or --env-file). */
  envFile: string;
  /** The group to create, or null to leave groups alone. */
  group: string | null;
  /** Build the hello rootfs (false: --skip-rootfs, the operator provides one). */
  buildRootfs: boolean;
  marker: string;
  allowNoJailer: boolean;
  netdSocket: string;
  /** Run the doctor at the end (false: --no-doctor). */
  doctor: boolean;
  owner: Owner;
  /** This checkout's launcher, linked onto PATH as <prefix>/usr/local/bin/octolab-verify. */
  launcher: string;
  /** The microvm-netd unit: installed where systemd runs, else the step says how to start netd by hand. */
  netdService: { systemd: boolean; template: string; unit: NetdUnitSettings };
}

/** The OS access setup needs, plus the two capabilities it borrows from other parts of the library. */
export interface SetupDeps extends AssetStepDeps {
  fs: InstallFs;
  host: Host;
  buildRootfs: BuildRootfs;
  runDoctor: (envFile: string) => Promise<DoctorOutcome>;
  /** How to start netd by hand where systemd does not run (the doctor's hint text). */
  netdByHand: () => Promise<string>;
}

/**
 * Returns setup as a list of steps, in the seed's order: binaries, kernel, rootfs, state dir,
 * group, then octolab-verify on PATH and the netd service (so the doctor's hints run as printed),
 * the env file block, doctor. `--dry-run` renders this list; a run executes it.
 */
export function planSetup(options: SetupOptions, deps: SetupDeps): PlanStep[] {
  const { layout } = options;
  const steps: PlanStep[] = [firecrackerStep(layout, options.release, options.mirror, deps), kernelStep(layout, options.kernel, options.mirror, deps)];
  if (options.buildRootfs) steps.push(rootfsStep(layout, options.marker, deps.host, deps.fs, deps.buildRootfs));
  steps.push(stateDirStep(layout, options.owner, deps.fs));
  if (options.group !== null) steps.push(groupStep(options.group, deps.host));
  steps.push(launcherStep(layout, options.launcher, deps.fs));
  const { systemd, template, unit } = options.netdService;
  steps.push(netdUnitStep(layout, unit, { host: deps.host, fs: deps.fs, template, systemd, byHand: deps.netdByHand }));
  steps.push(envFileStep(options.envFile, { layout, allowNoJailer: options.allowNoJailer, netdSocket: options.netdSocket, group: options.group }, options.owner, deps.fs));
  if (options.doctor) steps.push(doctorStep(options.envFile, deps.runDoctor));
  return steps;
}

/**
 * Checks what would make setup stop halfway, before anything is changed: the env file's directory
 * and the mirror directory must exist. Returns the problems (empty when none).
 */
export async function preflightSetup(options: SetupOptions, fs: InstallFs): Promise<string[]> {
  const problems: string[] = [];
  if ((await fs.lstat(options.envFile)) === null) {
    const dir = path.dirname(options.envFile);
    if ((await fs.lstat(dir))?.kind !== 'directory') problems.push(`the env file's directory ${dir} does not exist: run from the OctoLab repository root (where backend/ is), or pass --env-file PATH`);
  }
  if (options.mirror?.kind === 'dir' && (await fs.lstat(options.mirror.dir))?.kind !== 'directory') {
    problems.push(`the mirror directory ${options.mirror.dir} does not exist`);
  }
  return problems;
}
