import path from 'node:path';
import { DEFAULT_ENV_FILE, loadConfig, variables } from '../../config/index.ts';
import { renderDoctorText } from '../../doctor/render-text.ts';
import { runDoctor } from '../../doctor/run-doctor.ts';
import { ConfigError, UsageError } from '../../errors.ts';
import { SetupError } from '../../provision/errors.ts';
import { createDownloader } from '../../host/download.ts';
import { createInstallFs } from '../../host/install-fs.ts';
import { createRealHost } from '../../host/real-host.ts';
import { createTarExtractor } from '../../host/tar-extract.ts';
import type { Host } from '../../host/types.ts';
import { detectWsl } from '../../host/wsl.ts';
import { DEFAULT_KERNEL_URL, FIRECRACKER_V1_7_0, MAX_ARTIFACT_BYTES, normaliseSha256, SKIP_CHECKSUM, type FirecrackerRelease } from '../../provision/artifacts.ts';
import { buildHelloRootfs } from '../../provision/hello-rootfs.ts';
import { invokingOwner } from '../../provision/invoking-user.ts';
import { installLayout } from '../../provision/layout.ts';
import type { Downloader, InstallFs, TarExtractor } from '../../provision/ports.ts';
import { createTtyProgress } from '../../provision/progress.ts';
import { renderPlan, renderPlanError, renderPlanJson, renderStepReport, runPlan } from '../../provision/run-plan.ts';
import { launcherLinkOf } from '../../provision/steps-service.ts';
import { gatherHintEnvironment } from '../../doctor/hint-environment.ts';
import { netdStartHint } from '../../doctor/hints.ts';
import { renderOutputJson } from '../../json-shape.ts';
import { LAUNCHER_PATH, PACKAGE_ROOT } from '../../package-paths.ts';
import { toolJson } from '../../json-style.ts';
import { DOTENV_OPTION, flag, parseOptions, stringValue, usageError, type CommandSpec } from '../options.ts';
import { textWidth } from '../terminal.ts';
import { planSetup, preflightSetup, type SetupDeps, type SetupOptions } from '../../provision/setup-plan.ts';
import { parseArtifactUrl, parseMirror } from '../../provision/sources.ts';
import type { BuildRootfs } from '../../provision/steps-assets.ts';
import type { DoctorOutcome } from '../../provision/steps-system.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';

/** Setup's options and help. */
export const spec: CommandSpec = {
  name: 'setup',
  summary: 'Install Firecracker v1.7.0 + jailer, kernel, hello rootfs, state dir, group, octolab-verify on PATH, the netd service and the .env.local block (verified downloads).',
  synopsis: [
    'setup --kernel-sha256 HEX|skip [--dry-run] [--prefix DIR] [--mirror DIR|URL] [--dotenv PATH] [--kernel-url URL] [--group NAME | --no-group] [--skip-rootfs] [--marker TEXT] [--allow-no-jailer] [--no-doctor] [--json]',
  ],
  description: [
    `Firecracker v${FIRECRACKER_V1_7_0.version} comes from the release tarball, verified against the sha256 that upstream's octolabctl pins. Each artifact may be at most ${MAX_ARTIFACT_BYTES / 1024 / 1024} MiB; a larger one is refused and nothing is installed. A rerun downloads nothing that is already in place. docs/setup.md lists everything setup installs and how rollback undoes it.`,
    'Where systemd runs, setup installs, enables and starts the microvm-netd unit; where it does not (WSL without systemd, containers), it says how to start netd by hand. It links octolab-verify into <prefix>/usr/local/bin, so the doctor\'s hints can name it.',
  ],
  options: [
    { name: 'kernel-sha256', type: 'string', value: 'HEX', description: 'The kernel\'s sha256, or "skip" to accept it unverified: required, because no checksum is known for the default kernel (also OCTOLAB_SETUP_KERNEL_SHA256).' },
    { name: 'dry-run', type: 'boolean', description: 'Print the plan and change nothing (exit 1 when the run would stop before changing anything).' },
    { name: 'prefix', type: 'string', value: 'DIR', description: 'Install under DIR instead of / (binaries DIR/usr/local/bin, assets DIR/var/lib/octolab/firecracker, state DIR/var/lib/octolab/microvm, unit DIR/etc/systemd/system).' },
    { name: 'mirror', type: 'string', value: 'DIR|URL', description: 'Fetch the artifacts from a directory or an http(s) base URL (same file names as the release URLs) instead of the internet (also OCTOLAB_SETUP_MIRROR).' },
    { ...DOTENV_OPTION, description: 'The env file to write the block into (default OCTOLAB_ENV_FILE, else backend/.env.local in the current directory); created if missing, its directory must exist. --env-file is the old name: Node 20 itself takes --env-file anywhere on its command line, so it only reaches octolab-verify through the launcher.' },
    { name: 'kernel-url', type: 'string', value: 'URL', description: `The guest kernel to download (default ${DEFAULT_KERNEL_URL}; also OCTOLAB_SETUP_KERNEL_URL).` },
    { name: 'group', type: 'string', value: 'NAME', description: 'The group to create for the netd socket (default OCTOLAB_NETD_GROUP, octolab).' },
    { name: 'no-group', type: 'boolean', description: 'Do not create any group.' },
    { name: 'skip-rootfs', type: 'boolean', description: 'Do not build the hello rootfs (you provide <assets>/rootfs.ext4).' },
    { name: 'marker', type: 'string', value: 'TEXT', description: 'The line the hello rootfs prints (default OCTOLAB_HELLO_MARKER, "Hello, World!").' },
    { name: 'allow-no-jailer', type: 'boolean', description: 'Write OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER=true (dev only; automatic on WSL).' },
    { name: 'no-doctor', type: 'boolean', description: 'Do not run the doctor at the end.' },
    { name: 'json', type: 'boolean', description: 'Print the steps and their outcome as JSON at the end instead of a line per step.' },
  ],
  exitCodes: [0, 1, 2, 64, 78],
  exitNotes: {
    0: 'every step is done and the doctor found nothing fatal (with --dry-run: the plan can run)',
    1: 'a step failed (the steps after it did not run), or with --dry-run the run would stop before changing anything',
    2: 'every step is done, but the doctor at the end found a fatal problem',
  },
};

/** The shipped microvm-netd unit, the template of the one setup installs. */
const NETD_UNIT_TEMPLATE = path.join(PACKAGE_ROOT, 'lib/netd/deploy/microvm-netd.service');

/** What the command takes from outside; tests replace the host, the downloads and the doctor. */
export interface SetupCommandDeps {
  host?: Host;
  fs?: InstallFs;
  downloader?: Downloader;
  tar?: TarExtractor;
  release?: FirecrackerRelease;
  buildRootfs?: BuildRootfs;
  runDoctor?: (envFile: string) => Promise<DoctorOutcome>;
}

function usage(summary: string): UsageError {
  return usageError('setup', summary);
}

/** Runs a parse of a value that came from the environment: its usage error becomes a configuration error (78). */
function fromEnvironment<T>(fromFlag: boolean, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (fromFlag || !(error instanceof UsageError)) throw error;
    throw new ConfigError({ code: 'CONFIG_INVALID', summary: error.summary, hint: error.hint });
  }
}

/** Parses the kernel checksum: 64 hex digits, or `skip`; missing is a usage error that says why. */
export function parseKernelSha256(value: string | undefined): string | null {
  if (value === undefined || value.trim() === '') {
    throw new UsageError({
      code: 'USAGE',
      summary: 'setup needs --kernel-sha256: no checksum is known for the guest kernel',
      hint: 'Pass --kernel-sha256 HEX (sha256sum of the kernel you trust), or --kernel-sha256 skip to accept it unverified (setup says so in its output).',
    });
  }
  if (value.trim().toLowerCase() === SKIP_CHECKSUM) return null;
  const sha = normaliseSha256(value);
  if (sha === null) throw usage(`--kernel-sha256 must be 64 hex digits or "skip", got ${JSON.stringify(value)}`);
  return sha;
}

/** Reads the command line into setup's options (also used by tests to check the parsing). */
export async function readSetupOptions(io: CliIo, args: readonly string[], host: Host, release: FirecrackerRelease): Promise<{ options: SetupOptions; dryRun: boolean; json: boolean }> {
  const parsed = parseOptions(spec, args).values;
  const values = {
    prefix: stringValue(parsed, 'prefix'),
    mirror: stringValue(parsed, 'mirror'),
    'env-file': stringValue(parsed, 'dotenv'),
    'kernel-url': stringValue(parsed, 'kernel-url'),
    'kernel-sha256': stringValue(parsed, 'kernel-sha256'),
    group: stringValue(parsed, 'group'),
    marker: stringValue(parsed, 'marker'),
    'no-group': flag(parsed, 'no-group'),
    'skip-rootfs': flag(parsed, 'skip-rootfs'),
    'allow-no-jailer': flag(parsed, 'allow-no-jailer'),
    'no-doctor': flag(parsed, 'no-doctor'),
    'dry-run': flag(parsed, 'dry-run'),
  };
  for (const name of ['prefix', 'env-file'] as const) if (values[name] !== undefined && values[name]!.trim() === '') throw usage(`--${name === 'env-file' ? 'dotenv' : name} needs a path, got an empty string`);
  if (values.group !== undefined && values['no-group']) throw usage('--group and --no-group exclude each other');
  const group = values['no-group'] ? null : (values.group ?? io.env.OCTOLAB_NETD_GROUP ?? 'octolab');
  if (group !== null && !/^[a-z_][a-z0-9_-]{0,31}$/.test(group)) throw usage(`--group ${JSON.stringify(group)} is not a valid group name`);
  // Every URL is parsed here, before anything is probed, so a bad one is a usage error (exit 64).
  const kernelUrlOption = values['kernel-url'] !== undefined ? '--kernel-url' : 'OCTOLAB_SETUP_KERNEL_URL';
  const kernelUrlText = values['kernel-url'] ?? io.env.OCTOLAB_SETUP_KERNEL_URL;
  const kernelUrl = kernelUrlText === undefined ? DEFAULT_KERNEL_URL : fromEnvironment(values['kernel-url'] !== undefined, () => parseArtifactUrl(kernelUrlText, kernelUrlOption, `see \`octolab-verify setup --help\``));
  const marker = values.marker ?? io.env.OCTOLAB_HELLO_MARKER ?? variables.helloMarker.default;
  if (marker === '' || /[\x00-\x1f\x7f]/.test(marker)) throw usage('--marker must be one line of printable text');
  const mirrorText = values.mirror ?? io.env.OCTOLAB_SETUP_MIRROR;
  const mirror = mirrorText === undefined ? null : fromEnvironment(values.mirror !== undefined, () => parseMirror(mirrorText, io.cwd, values.mirror !== undefined ? '--mirror' : 'OCTOLAB_SETUP_MIRROR'));
  const dryRun = values['dry-run'] === true;
  const shaText = values['kernel-sha256'] ?? io.env.OCTOLAB_SETUP_KERNEL_SHA256;
  // A dry run shows the whole plan even without a checksum, and lists the missing one as a problem.
  const checksumMissing = dryRun && (shaText === undefined || shaText.trim() === '');
  const wsl = await detectWsl(host);
  const layout = installLayout(values.prefix === undefined ? '/' : path.resolve(io.cwd, values.prefix));
  const netdSocket = io.env.OCTOLAB_MICROVM_NETD_SOCK || variables.netdSocket.default;
  const options: SetupOptions = {
    layout,
    release,
    kernel: checksumMissing ? { url: kernelUrl, sha256: null, checksumMissing } : { url: kernelUrl, sha256: fromEnvironment(values['kernel-sha256'] !== undefined || shaText === undefined, () => parseKernelSha256(shaText)) },
    mirror,
    envFile: path.resolve(io.cwd, values['env-file'] ?? io.env.OCTOLAB_ENV_FILE ?? DEFAULT_ENV_FILE),
    group,
    buildRootfs: !values['skip-rootfs'],
    marker,
    allowNoJailer: values['allow-no-jailer'] === true || wsl.wsl,
    netdSocket,
    doctor: !values['no-doctor'],
    owner: invokingOwner(io.env, host.users.effectiveUid()),
    launcher: LAUNCHER_PATH,
    netdService: {
      systemd: await host.fs.exists(path.join(layout.prefix, 'run/systemd/system')).catch(() => false),
      template: NETD_UNIT_TEMPLATE,
      unit: { exec: [process.execPath, launcherLinkOf(layout)], socket: netdSocket, group: group ?? io.env.OCTOLAB_NETD_GROUP ?? variables.netdGroup.default },
    },
  };
  return { options, dryRun, json: flag(parsed, 'json') };
}

/**
 * Runs `setup`: options → plan (steps as values) → printed (`--dry-run`) or run step by step,
 * each step's line printed as it finishes. Returns 1 when a step failed, else the doctor's code.
 */
export async function runSetupCommand(io: CliIo, args: readonly string[], deps: SetupCommandDeps = {}): Promise<number> {
  const host = deps.host ?? createRealHost(io.env);
  const { options, dryRun, json } = await readSetupOptions(io, args, host, deps.release ?? FIRECRACKER_V1_7_0);
  const hintContext = async () => ({
    wsl: (await detectWsl(host)).wsl,
    distro: io.env.WSL_DISTRO_NAME || '<distro>',
    user: io.env.SUDO_USER || 'root',
    env: await gatherHintEnvironment(host, { prefix: options.layout.prefix, nodePath: process.execPath }),
    netdSocket: options.netdSocket,
    netdGroup: options.netdService.unit.group,
  });
  const setupDeps: SetupDeps = {
    host,
    fs: deps.fs ?? createInstallFs(),
    downloader: deps.downloader ?? createDownloader(),
    tar: deps.tar ?? createTarExtractor(),
    progress: (name) => (json ? undefined : createTtyProgress(io.stderr, name)),
    signal: io.signal,
    buildRootfs: deps.buildRootfs ?? ((o) => buildHelloRootfs(o)),
    netdByHand: async () => netdStartHint(await hintContext()),
    runDoctor: deps.runDoctor ?? (async (envFile) => {
      const loaded = await loadConfig({ env: io.env, fs: host.fs, cwd: io.cwd, envFile });
      const hintEnvironment = deps.host ? undefined : await gatherHintEnvironment(host, { prefix: options.layout.prefix, nodePath: process.execPath });
      const report = await runDoctor({ host, config: loaded.config, sources: loaded.sources, hintEnvironment });
      return { exitCode: report.exit_code, summary: report.summary, text: renderDoctorText(report, { color: false, width: textWidth(io) }) };
    }),
  };
  const steps = planSetup(options, setupDeps);
  const problems = await preflightSetup(options, setupDeps.fs);
  if (options.kernel.checksumMissing) problems.unshift('no kernel checksum: pass --kernel-sha256 HEX (the sha256 of the kernel you trust) or --kernel-sha256 skip');
  if (dryRun) {
    if (json) io.stdout.write(renderOutputJson({ tool: toolJson(), ok: problems.length === 0, dryRun, plan: steps.map((step) => ({ id: step.id, title: step.title, plan: step.plan })), problems }));
    else {
      io.stdout.write(renderPlan('octolab-verify setup: the plan (dry run: nothing is changed)', steps));
      if (problems.length > 0) io.stdout.write(`setup would stop before changing anything:\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    }
    return problems.length === 0 ? EXIT.ok : EXIT.failed;
  }
  if (problems.length > 0) {
    throw new SetupError({ code: 'SETUP_PREFLIGHT', summary: `setup cannot run: ${problems.join('; ')}`, hint: 'Nothing was changed. Fix the above and run again (--dry-run shows the plan).' });
  }
  if (host.users.effectiveUid() !== 0 && options.layout.prefix === '/') {
    throw usage('setup installs into /usr/local/bin and /var/lib/octolab: run it as root (sudo), or pass --prefix DIR');
  }
  const result = await runPlan(steps, json ? undefined : (report) => io.stdout.write(renderStepReport(report)));
  const exitCode = result.ok ? (result.steps.find((s) => s.exitCode !== undefined)?.exitCode ?? EXIT.ok) : EXIT.failed;
  if (json) io.stdout.write(renderPlanJson(result, exitCode));
  if (!result.ok) io.stderr.write(`octolab-verify setup: ${renderPlanError(result.error)}`);
  return exitCode;
}

/** The `setup` subcommand for the CLI's table. */
export const command: Command = {
  name: 'setup',
  summary: spec.summary,
  spec,
  run: (io, args) => runSetupCommand(io, args),
};
