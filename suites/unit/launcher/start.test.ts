import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { FAKE_FIRECRACKER_BIN, writeFakeImages } from '../../../fixtures/fake-firecracker/index.ts';
import { COMMAND_TABLE } from '../../../lib/cli/command-table.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../../lib/version.ts';
import { runLauncher } from '../cli/run-launcher.ts';

// The real launcher, started as a process: what it prints for --help/--version, and which modules
// each start loads (recorded by a preload), so a heavy import on the start path fails here.

const BIN = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));
const RECORDER = fileURLToPath(new URL('./record-loads.mjs', import.meta.url));
const HEAVY_PACKAGES = ['execa', 'undici', 'zx', 'koffi', 'junit-report-builder', 'yaml', 'ajv', 'tmp-promise', 'esbuild'];
const COMMAND_CHUNK = new RegExp(`^(${COMMAND_TABLE.map((c) => c.name).join('|')})-[A-Z0-9]+\\.cjs$`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** dist/ files imported or required, by base name. */
  distFiles: string[];
  /** dist/ files loaded as ES modules (the CLI's are CommonJS, so none). */
  esDistFiles: string[];
  /** Packages from node_modules, imported or required, by name. */
  packages: string[];
}

/** Runs the launcher with `args` under the load recorder, in an empty directory with only `env`. */
async function runRecorded(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return withDir(
    async ({ path: dir }) => {
      const record = path.join(dir, 'loads.txt');
      await fs.writeFile(record, '');
      const child = spawn(process.execPath, ['--import', RECORDER, BIN, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', RECORD_LOADS_TO: record, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      const lines = (await fs.readFile(record, 'utf8')).split('\n').filter(Boolean);
      const distFiles = new Set<string>();
      const esDistFiles = new Set<string>();
      const packages = new Set<string>();
      for (const line of lines) {
        const target = line.slice(line.indexOf(' ') + 1);
        const inDist = /\/dist\/([^/]+\.c?js)$/.exec(target);
        if (inDist) distFiles.add(inDist[1]!);
        if (inDist && line.startsWith('import ')) esDistFiles.add(inDist[1]!);
        const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(target);
        if (inModules) packages.add(inModules[1]!);
        else if (line.startsWith('require ') && !target.startsWith('.') && !target.startsWith('/') && !target.startsWith('node:')) packages.add(target);
      }
      return { code, stdout, stderr, distFiles: [...distFiles], esDistFiles: [...esDistFiles], packages: [...packages].filter((name) => !isBuiltin(name)) };
    },
    { unsafeCleanup: true },
  );
}

const BUILTINS = new Set(['fs', 'path', 'os', 'url', 'util', 'tty', 'crypto', 'child_process', 'worker_threads', 'net', 'events', 'stream', 'module']);
const isBuiltin = (name: string) => BUILTINS.has(name);

describe('octolab-verify --help and --version (the real launcher)', { timeout: 60_000 }, () => {
  it('lists every command of the table in order with its summary, exits 0 and loads no command and no package', async () => {
    const run = await runRecorded(['--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const listed = run.stdout.split('\n').filter((line) => /^ {2}[a-z]+ {2,}/.test(line)).map((line) => line.trim().split(/\s+/)[0]);
    expect(listed).toEqual(COMMAND_TABLE.map((entry) => entry.name));
    expect(listed.slice(0, 8)).toEqual(['doctor', 'verify', 'boot', 'netd', 'image', 'setup', 'rollback', 'cleanup']);
    for (const entry of COMMAND_TABLE) expect(run.stdout).toContain(`  ${entry.name.padEnd(10)} ${entry.summary}\n`);
    expect(run.stdout).toContain('-V, --version');
    expect(run.distFiles).toContain('octolab-verify.cjs');
    expect(run.esDistFiles).toEqual([]);
    expect(run.distFiles.filter((file) => COMMAND_CHUNK.test(file))).toEqual([]);
    expect(run.packages).toEqual([]);
  });

  it.each([['--version'], ['-V']])('%s prints "octolab-verify <version>" from lib/version.ts, exits 0 and loads no command and no package', async (flag) => {
    const run = await runRecorded([flag]);
    expect(run).toMatchObject({ code: 0, stdout: `${TOOL_NAME} ${TOOL_VERSION}\n`, stderr: '' });
    expect(run.distFiles.filter((file) => COMMAND_CHUNK.test(file))).toEqual([]);
    expect(run.packages).toEqual([]);
  });

  it('runs from the launcher\'s former name too (bin/octolab-verify.mjs, which links made by earlier setups name)', async () => {
    const legacy = fileURLToPath(new URL('../../../bin/octolab-verify.mjs', import.meta.url));
    const run = (args: string[]) => runLauncher(args, { cwd: process.cwd(), launcher: legacy, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: `${TOOL_NAME} ${TOOL_VERSION}\n`, stderr: '' });
    expect(await run(['frobnicate'])).toMatchObject({ code: 64, stdout: '', stderr: expect.stringContaining('unknown command "frobnicate"') });
  });

  it('answers an unknown command with exit 64 and one line pointing to --help, loading no command', async () => {
    const run = await runRecorded(['frobnicate']);
    expect(run.code).toBe(64);
    expect(run.stderr).toBe('octolab-verify: unknown command "frobnicate"; see `octolab-verify --help` for the commands\n');
    expect(run.distFiles.filter((file) => COMMAND_CHUNK.test(file))).toEqual([]);
  });
});

describe('what each command loads', { timeout: 60_000 }, () => {
  it('doctor --json on a host without KVM or Firecracker loads only its own chunk and none of the heavy packages', async () => {
    const run = await withDir(
      async ({ path: dir }) =>
        runRecorded(['doctor', '--json'], {
          OCTOLAB_KVM_DEVICE: path.join(dir, 'kvm'),
          OCTOLAB_FIRECRACKER_BIN: path.join(dir, 'firecracker'),
          OCTOLAB_MICROVM_JAILER_BIN: path.join(dir, 'jailer'),
        }),
      { unsafeCleanup: true },
    );
    expect(run.code, run.stderr).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false });
    expect(run.distFiles.filter((file) => COMMAND_CHUNK.test(file)).map((file) => file.split('-')[0])).toEqual(['doctor']);
    expect(run.packages.filter((name) => HEAVY_PACKAGES.includes(name))).toEqual([]);
  });

  it('boot against the fake Firecracker loads only its own chunk and none of the heavy packages', async () => {
    const run = await withDir(
      async ({ path: dir }) => {
        const images = await writeFakeImages(dir);
        await fs.mkdir(path.join(dir, 'state'));
        return runRecorded(['boot'], {
          OCTOLAB_FIRECRACKER_BIN: FAKE_FIRECRACKER_BIN,
          OCTOLAB_MICROVM_KERNEL_PATH: images.kernel,
          OCTOLAB_MICROVM_ROOTFS_BASE_PATH: images.rootfs,
          OCTOLAB_MICROVM_STATE_DIR: path.join(dir, 'state'),
        });
      },
      { unsafeCleanup: true },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Hello, World!');
    expect(run.distFiles.filter((file) => COMMAND_CHUNK.test(file)).map((file) => file.split('-')[0])).toEqual(['boot']);
    expect(run.esDistFiles).toEqual([]);
    expect(run.packages.filter((name) => HEAVY_PACKAGES.includes(name))).toEqual([]);
  });
});
