import path from 'node:path';
import { DEFAULT_ENV_FILE, loadConfig, variables } from '../../config/index.ts';
import { renderDoctorText } from '../../doctor/render-text.ts';
import { runDoctor } from '../../doctor/run-doctor.ts';
import { UsageError } from '../../errors.ts';
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
import { renderPlan, renderPlanError, renderStepReport, runPlan } from '../../provision/run-plan.ts';
import { planSetup, preflightSetup, type SetupDeps, type SetupOptions } from '../../provision/setup-plan.ts';
import { parseArtifactUrl, parseMirror } from '../../provision/sources.ts';
import type { BuildRootfs } from '../../provision/steps-assets.ts';
import type { DoctorOutcome } from '../../provision/steps-system.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { parseCommandArgs } from '../parse-args.ts';

const USAGE = `octolab-verify setup [--dry-run] [--prefix DIR] [--mirror DIR|URL] [--env-file PATH]
                     [--kernel-url URL] --kernel-sha256 HEX|skip [--group NAME | --no-group]
                     [--skip-rootfs] [--marker TEXT] [--allow-no-jailer] [--no-doctor]

  --dry-run            print the plan and change nothing
  --prefix DIR         install under DIR instead of / (binaries DIR/usr/local/bin, assets
                       DIR/var/lib/octolab/firecracker, state DIR/var/lib/octolab/microvm)
  --mirror DIR|URL     fetch artifacts from a directory or http(s) base URL (same file names as
                       the release URLs) instead of the internet (also OCTOLAB_SETUP_MIRROR)
  --env-file PATH      the env file to write the block into (default OCTOLAB_ENV_FILE, else
                       backend/.env.local in the current directory)
  --kernel-url URL     the guest kernel (default ${DEFAULT_KERNEL_URL};
                       also OCTOLAB_SETUP_KERNEL_URL)
  --kernel-sha256 H    the kernel's sha256, or "skip" to accept it unverified: required, because
                       no checksum is known for the default kernel (also OCTOLAB_SETUP_KERNEL_SHA256)
  --group NAME         the group to create for the netd socket (default OCTOLAB_NETD_GROUP, octolab)
  --no-group           do not create any group
  --skip-rootfs        do not build the hello rootfs (you provide <assets>/rootfs.ext4)
  --marker TEXT        the line the hello rootfs prints (default OCTOLAB_HELLO_MARKER, "Hello, World!")
  --allow-no-jailer    write OCTOLAB_DEV_UNSAFE_ALLOW_NO_JAILER=true (dev only; automatic on WSL)
  --no-doctor          do not run the doctor at the end

Firecracker v${FIRECRACKER_V1_7_0.version} comes from the release tarball, verified against the sha256 that
upstream's octolabctl pins (not verified by this project: nothing could be downloaded here).
Each artifact may be at most ${MAX_ARTIFACT_BYTES / 1024 / 1024} MiB; a larger one is refused and nothing is installed.
exit codes: 0 done and the doctor passed, 1 a step failed, 2 done but a fatal doctor check failed,
            64 usage error; with --dry-run: 0, or 1 when the run would stop before changing anything`;

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
  return new UsageError({ code: 'USAGE', summary, hint: `usage: ${USAGE}` });
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
export async function readSetupOptions(io: CliIo, args: readonly string[], host: Host, release: FirecrackerRelease): Promise<{ options: SetupOptions; dryRun: boolean }> {
  const { values } = parseCommandArgs(
    args,
    {
      'dry-run': { type: 'boolean' },
      prefix: { type: 'string' },
      mirror: { type: 'string' },
      'env-file': { type: 'string' },
      'kernel-url': { type: 'string' },
      'kernel-sha256': { type: 'string' },
      group: { type: 'string' },
      'no-group': { type: 'boolean' },
      'skip-rootfs': { type: 'boolean' },
      marker: { type: 'string' },
      'allow-no-jailer': { type: 'boolean' },
      'no-doctor': { type: 'boolean' },
    },
    USAGE,
  );
  if (values.group !== undefined && values['no-group']) throw usage('--group and --no-group exclude each other');
  const group = values['no-group'] ? null : (values.group ?? io.env.OCTOLAB_NETD_GROUP ?? 'octolab');
  if (group !== null && !/^[a-z_][a-z0-9_-]{0,31}$/.test(group)) throw usage(`--group ${JSON.stringify(group)} is not a valid group name`);
  // Every URL is parsed here, before anything is probed, so a bad one is a usage error (exit 64).
  const kernelUrlOption = values['kernel-url'] !== undefined ? '--kernel-url' : 'OCTOLAB_SETUP_KERNEL_URL';
  const kernelUrlText = values['kernel-url'] ?? io.env.OCTOLAB_SETUP_KERNEL_URL;
  const kernelUrl = kernelUrlText === undefined ? DEFAULT_KERNEL_URL : parseArtifactUrl(kernelUrlText, kernelUrlOption, `usage: ${USAGE}`);
  const marker = values.marker ?? io.env.OCTOLAB_HELLO_MARKER ?? variables.helloMarker.default;
  if (marker === '' || /[\x00-\x1f\x7f]/.test(marker)) throw usage('--marker must be one line of printable text');
  const mirrorText = values.mirror ?? io.env.OCTOLAB_SETUP_MIRROR;
  const mirror = mirrorText === undefined ? null : parseMirror(mirrorText, io.cwd, values.mirror !== undefined ? '--mirror' : 'OCTOLAB_SETUP_MIRROR');
  const dryRun = values['dry-run'] === true;
  const shaText = values['kernel-sha256'] ?? io.env.OCTOLAB_SETUP_KERNEL_SHA256;
  // A dry run shows the whole plan even without a checksum, and lists the missing one as a problem.
  const checksumMissing = dryRun && (shaText === undefined || shaText.trim() === '');
  const wsl = await detectWsl(host);
  const options: SetupOptions = {
    layout: installLayout(values.prefix === undefined ? '/' : path.resolve(io.cwd, values.prefix)),
    release,
    kernel: checksumMissing ? { url: kernelUrl, sha256: null, checksumMissing } : { url: kernelUrl, sha256: parseKernelSha256(shaText) },
    mirror,
    envFile: path.resolve(io.cwd, values['env-file'] ?? io.env.OCTOLAB_ENV_FILE ?? DEFAULT_ENV_FILE),
    group,
    buildRootfs: !values['skip-rootfs'],
    marker,
    allowNoJailer: values['allow-no-jailer'] === true || wsl.wsl,
    netdSocket: io.env.OCTOLAB_MICROVM_NETD_SOCK ?? variables.netdSocket.default,
    doctor: !values['no-doctor'],
    owner: invokingOwner(io.env, host.users.effectiveUid()),
  };
  return { options, dryRun };
}

/**
 * Runs `setup`: options → plan (steps as values) → printed (`--dry-run`) or run step by step,
 * each step's line printed as it finishes. Returns 1 when a step failed, else the doctor's code.
 */
export async function runSetupCommand(io: CliIo, args: readonly string[], deps: SetupCommandDeps = {}): Promise<number> {
  const host = deps.host ?? createRealHost(io.env);
  const { options, dryRun } = await readSetupOptions(io, args, host, deps.release ?? FIRECRACKER_V1_7_0);
  const setupDeps: SetupDeps = {
    host,
    fs: deps.fs ?? createInstallFs(),
    downloader: deps.downloader ?? createDownloader(),
    tar: deps.tar ?? createTarExtractor(),
    progress: (name) => createTtyProgress(io.stderr, name),
    signal: io.signal,
    buildRootfs: deps.buildRootfs ?? ((o) => buildHelloRootfs(o)),
    runDoctor: deps.runDoctor ?? (async (envFile) => {
      const loaded = await loadConfig({ env: io.env, fs: host.fs, cwd: io.cwd, envFile });
      const report = await runDoctor({ host, config: loaded.config, sources: loaded.sources });
      return { exitCode: report.exit_code, summary: report.summary, text: renderDoctorText(report, { color: false }) };
    }),
  };
  const steps = planSetup(options, setupDeps);
  const problems = await preflightSetup(options, setupDeps.fs);
  if (options.kernel.checksumMissing) problems.unshift('no kernel checksum: pass --kernel-sha256 HEX (the sha256 of the kernel you trust) or --kernel-sha256 skip');
  if (dryRun) {
    io.stdout.write(renderPlan('octolab-verify setup: the plan (dry run: nothing is changed)', steps));
    if (problems.length === 0) return EXIT.ok;
    io.stdout.write(`setup would stop before changing anything:\n${problems.map((p) => `  - ${p}\n`).join('')}`);
    return EXIT.failed;
  }
  if (problems.length > 0) {
    throw new SetupError({ code: 'SETUP_PREFLIGHT', summary: `setup cannot run: ${problems.join('; ')}`, hint: 'Nothing was changed. Fix the above and run again (--dry-run shows the plan).' });
  }
  if (host.users.effectiveUid() !== 0 && options.layout.prefix === '/') {
    throw usage('setup installs into /usr/local/bin and /var/lib/octolab: run it as root (sudo), or pass --prefix DIR');
  }
  const result = await runPlan(steps, (report) => io.stdout.write(renderStepReport(report)));
  if (!result.ok) {
    io.stderr.write(`octolab-verify setup: ${renderPlanError(result.error)}`);
    return EXIT.failed;
  }
  return result.steps.find((s) => s.exitCode !== undefined)?.exitCode ?? EXIT.ok;
}

/** The `setup` subcommand for the CLI's table. */
export const command: Command = {
  name: 'setup',
  summary: 'install Firecracker v1.7.0 + jailer, kernel, hello rootfs, state dir, group and the .env.local block (verified downloads)',
  usage: USAGE,
  run: (io, args) => runSetupCommand(io, args),
};
