import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dir } from 'tmp-promise';
import { buildFakeArtifacts, fakeRelease, type FakeArtifacts } from '../../../fixtures/fake-artifacts/build-artifacts.ts';
import { startArtifactServer, type ArtifactServer } from '../../../fixtures/fake-artifacts/artifact-server.ts';
import { FakeHost } from '../../../fixtures/fake-host.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { runSetupCommand, type SetupCommandDeps } from '../../../lib/cli/commands/setup.ts';
import { createDownloader } from '../../../lib/host/download.ts';
import { createInstallFs } from '../../../lib/host/install-fs.ts';
import { createTarExtractor } from '../../../lib/host/tar-extract.ts';
import type { FirecrackerRelease } from '../../../lib/provision/artifacts.ts';
import type { BuildRootfs } from '../../../lib/provision/steps-assets.ts';

/** Paths of the fake artifacts on the test server. */
export const KERNEL_PATH = '/kernels/vmlinux-5.10.209';

/** One setup test's world: a temp prefix and repo, the local server, a FakeHost, captured output. */
export interface SetupWorld {
  root: string;
  prefix: string;
  envFile: string;
  artifacts: FakeArtifacts;
  server: ArtifactServer;
  release: FirecrackerRelease;
  host: FakeHost;
  rootfsBuilds: string[];
  doctorRuns: string[];
  doctorExit: number;
  stdout: string[];
  stderr: string[];
  /** Runs `octolab-verify setup` with the world's deps and the given extra args. */
  setup(args?: string[], deps?: Partial<SetupCommandDeps>): Promise<number>;
  cleanup(): Promise<void>;
}

/** A stand-in for the hello rootfs builder: writes a marker file, idempotent like the real one. */
function fakeBuilder(builds: string[]): BuildRootfs {
  return async ({ out, marker }) => {
    builds.push(out);
    const exists = await fs.readFile(out, 'utf8').catch(() => null);
    if (exists === `rootfs for ${marker}\n`) return { built: false, path: out };
    await fs.writeFile(out, `rootfs for ${marker}\n`);
    return { built: true, path: out };
  };
}

/** Builds a world with the tarball and kernel served from memory. */
export async function createSetupWorld(): Promise<SetupWorld> {
  const temp = await dir({ unsafeCleanup: true });
  const artifacts = buildFakeArtifacts();
  const server = await startArtifactServer();
  const release = fakeRelease(server.baseUrl, artifacts);
  server.files.set(new URL(release.url).pathname, { body: artifacts.tarball });
  server.files.set(KERNEL_PATH, { body: artifacts.kernel });
  await fs.mkdir(path.join(temp.path, 'repo/backend'), { recursive: true });
  const host = new FakeHost();
  host.euid = 0;
  host.withGroup('octolab', 990);
  const world: SetupWorld = {
    root: temp.path,
    prefix: path.join(temp.path, 'prefix'),
    envFile: path.join(temp.path, 'repo/backend/.env.local'),
    artifacts,
    server,
    release,
    host,
    rootfsBuilds: [],
    doctorRuns: [],
    doctorExit: 0,
    stdout: [],
    stderr: [],
    async setup(args = [], deps = {}) {
      const io: CliIo = {
        argv: [],
        env: { PATH: '/usr/bin:/bin' },
        stdout: { write: (text: string) => world.stdout.push(text) } as unknown as CliIo['stdout'],
        stderr: { write: (text: string) => world.stderr.push(text) } as unknown as CliIo['stderr'],
        cwd: path.join(temp.path, 'repo'),
      };
      const base = ['--prefix', world.prefix, '--env-file', world.envFile, '--kernel-url', server.url(KERNEL_PATH), '--kernel-sha256', artifacts.kernelSha256];
      return runSetupCommand(io, [...base, ...args], {
        host,
        fs: createInstallFs(),
        downloader: createDownloader({ useEnvProxy: false }),
        tar: createTarExtractor(),
        release,
        buildRootfs: fakeBuilder(world.rootfsBuilds),
        runDoctor: async (envFile) => {
          world.doctorRuns.push(envFile);
          return { exitCode: world.doctorExit, summary: world.doctorExit === 0 ? 'Firecracker available' : 'Firecracker unavailable: kvm check(s) failed', text: 'doctor report text\n' };
        },
        ...deps,
      });
    },
    async cleanup() {
      await server.close();
      await temp.cleanup();
    },
  };
  return world;
}

/** Lists every file under `root` (relative paths), for "nothing else was written" checks. */
export async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(current: string): Promise<void> {
    for (const entry of await fs.readdir(current, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(path.relative(root, full));
    }
  }
  await walk(root);
  return out.sort();
}
