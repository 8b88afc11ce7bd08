import path from 'node:path';
import type { Host } from '../host/types.ts';
import { fileNameOfUrl, type FirecrackerRelease, type KernelArtifact } from './artifacts.ts';
import { SetupError } from './errors.ts';
import { fetchVerified, fetchVerifiedTemp } from './fetch-verified.ts';
import type { InstallLayout } from './layout.ts';
import { readManifest, writeManifest } from './manifest.ts';
import type { Downloader, InstallFs, ProgressCallback, TarExtractor } from './ports.ts';
import type { PlanStep } from './run-plan.ts';
import { describeLocation, locateArtifact, type Mirror } from './sources.ts';

/** What the asset steps need. */
export interface AssetStepDeps {
  host: Host;
  fs: InstallFs;
  downloader: Downloader;
  tar: TarExtractor;
  /** A progress callback for a named download (a TTY bar in the CLI), or undefined for none. */
  progress?: (name: string) => ProgressCallback | undefined;
  signal?: AbortSignal;
}

/**
 * Installs firecracker and jailer from the release tarball: the tarball is verified against its
 * pinned sha256 before anything is unpacked, the two members are extracted to temp files beside
 * the binaries and renamed into place. Unchanged (no download) when the manifest and the
 * binaries' sha256 show this release is already installed.
 */
export function firecrackerStep(layout: InstallLayout, release: FirecrackerRelease, mirror: Mirror | null, deps: AssetStepDeps): PlanStep {
  const from = locateArtifact(release.url, mirror);
  return {
    id: 'firecracker',
    title: `Firecracker v${release.version} and jailer`,
    plan: [
      `install firecracker and jailer v${release.version} to ${layout.binDir}`,
      `from ${describeLocation(from)}`,
      `sha256 ${release.sha256}`,
      `  (${release.sha256Source})`,
    ],
    async run() {
      const { fs } = deps;
      await fs.mkdirp(layout.binDir, 0o755);
      await fs.mkdirp(layout.assetsDir, 0o755);
      const manifest = await readManifest(fs, layout.manifest);
      const record = manifest.firecracker;
      if (record && record.version === release.version && record.tarballSha256 === release.sha256) {
        const [fc, jailer] = await Promise.all([fs.sha256(layout.firecrackerBin), fs.sha256(layout.jailerBin)]);
        if (fc !== null && fc === record.files[layout.firecrackerBin] && jailer !== null && jailer === record.files[layout.jailerBin]) {
          return { status: 'unchanged', detail: `firecracker and jailer v${release.version} already installed in ${layout.binDir}` };
        }
      }
      const tarball = await fetchVerifiedTemp(fs, deps.downloader, {
        name: `Firecracker v${release.version} release tarball`,
        from,
        near: path.join(layout.assetsDir, fileNameOfUrl(release.url)),
        sha256: release.sha256,
        onProgress: deps.progress?.(fileNameOfUrl(release.url)),
        signal: deps.signal,
      });
      const temps = { firecracker: fs.tempPathBeside(layout.firecrackerBin), jailer: fs.tempPathBeside(layout.jailerBin) };
      try {
        const members = await deps.tar.extract(tarball, { [release.members.firecracker]: temps.firecracker, [release.members.jailer]: temps.jailer });
        await fs.chmod(temps.firecracker, 0o755);
        await fs.chmod(temps.jailer, 0o755);
        await fs.rename(temps.firecracker, layout.firecrackerBin);
        await fs.rename(temps.jailer, layout.jailerBin);
        const files = Object.fromEntries(members.map((m) => [m.path === temps.firecracker ? layout.firecrackerBin : layout.jailerBin, m.sha256]));
        await writeManifest(fs, layout.manifest, { ...manifest, firecracker: { version: release.version, tarballSha256: release.sha256, files } });
      } finally {
        await fs.removeFile(temps.firecracker);
        await fs.removeFile(temps.jailer);
        await fs.removeFile(tarball);
      }
      return { status: 'done', detail: `installed firecracker and jailer v${release.version} in ${layout.binDir} (tarball sha256 verified)` };
    },
  };
}

/**
 * Downloads the guest kernel to <assets>/vmlinux, verified against the given sha256 (or, when the
 * operator passed `skip`, unverified and said so), and refuses a file that is not a 64-bit ELF.
 */
export function kernelStep(layout: InstallLayout, kernel: KernelArtifact, mirror: Mirror | null, deps: AssetStepDeps): PlanStep {
  const from = locateArtifact(kernel.url, mirror);
  return {
    id: 'kernel',
    title: 'guest kernel',
    plan: [
      `download the guest kernel to ${layout.kernel}`,
      `from ${describeLocation(from)}`,
      kernel.checksumMissing ? 'sha256 MISSING: pass --kernel-sha256 HEX, or --kernel-sha256 skip' : kernel.sha256 === null ? 'sha256 NOT VERIFIED (--kernel-sha256 skip)' : `sha256 ${kernel.sha256}`,
    ],
    async run() {
      const { fs } = deps;
      await fs.mkdirp(layout.assetsDir, 0o755);
      const manifest = await readManifest(fs, layout.manifest);
      const current = await fs.sha256(layout.kernel);
      const recorded = manifest.kernel;
      const verifiedMatch = kernel.sha256 !== null && current === kernel.sha256;
      const unverifiedMatch = kernel.sha256 === null && current !== null && recorded?.url === kernel.url && recorded.sha256 === current;
      if (verifiedMatch || unverifiedMatch) {
        if (!recorded || recorded.sha256 !== current) await writeManifest(fs, layout.manifest, { ...manifest, kernel: { url: kernel.url, sha256: current!, verified: true } });
        return { status: 'unchanged', detail: `${layout.kernel} already in place (sha256 ${current!.slice(0, 12)}…)` };
      }
      const fetched = await fetchVerified(fs, deps.downloader, {
        name: 'kernel',
        from,
        dest: layout.kernel,
        sha256: kernel.sha256,
        mode: 0o644,
        inspect: (temp) => assertElf64(fs, temp, describeLocation(from)),
        onProgress: deps.progress?.(fileNameOfUrl(kernel.url)),
        signal: deps.signal,
      });
      await writeManifest(fs, layout.manifest, { ...manifest, kernel: { url: kernel.url, sha256: fetched.sha256, verified: kernel.sha256 !== null } });
      const how = kernel.sha256 === null ? `NOT verified (sha256 ${fetched.sha256})` : 'sha256 verified';
      return { status: 'done', detail: `installed ${layout.kernel} (${fetched.bytes} bytes, ${how})` };
    },
  };
}

/** Refuses a kernel that is not an uncompressed 64-bit ELF (what Firecracker loads on x86_64). */
async function assertElf64(fs: InstallFs, file: string, source: string): Promise<void> {
  const head = await fs.readHead(file, 5);
  if (head.length === 5 && head[0] === 0x7f && head.subarray(1, 4).toString('latin1') === 'ELF' && head[4] === 2) return;
  throw new SetupError({
    code: 'KERNEL_NOT_ELF64',
    summary: `the kernel from ${source} is not a 64-bit ELF (starts with ${head.toString('hex') || 'nothing'}); it was not installed`,
    hint: 'Firecracker on x86_64 boots an uncompressed vmlinux (ELF), not a bzImage: check --kernel-url.',
  });
}

/** The rootfs builder setup calls (lib/provision/hello-rootfs.ts's buildHelloRootfs by default). */
export type BuildRootfs = (options: { host: Host; out: string; marker: string }) => Promise<{ built: boolean; path: string }>;

/** Builds the hello rootfs at <assets>/rootfs.ext4 (idempotent: the builder leaves an identical image alone). */
export function rootfsStep(layout: InstallLayout, marker: string, host: Host, fs: InstallFs, build: BuildRootfs): PlanStep {
  return {
    id: 'rootfs',
    title: 'hello rootfs',
    plan: [`build the hello rootfs at ${layout.rootfs}`, `(static busybox + an init that prints ${JSON.stringify(marker)} and reboots)`],
    async run() {
      await fs.mkdirp(layout.assetsDir, 0o755);
      const result = await build({ host, out: layout.rootfs, marker });
      return result.built
        ? { status: 'done', detail: `built ${result.path}` }
        : { status: 'unchanged', detail: `${result.path} is already this hello image` };
    },
  };
}
