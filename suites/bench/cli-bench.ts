/**
 * How fast the built CLI starts, against baselines run side by side in the same rounds:
 *
 *   pnpm bench:cli [--rounds 15] [--delay-ms 100,300]
 *
 * Each round runs, one after another: `node -e 0`, `octolab-verify --help`, `node -e 0`,
 * `octolab-verify --version`, `node -e 0`, `octolab-verify doctor --json` (on a host made to lack
 * KVM and Firecracker, whatever this machine has), then for each delay D: the fake Firecracker
 * driven directly by this process (its own start, its built-in delay D three times, the five API
 * calls: the least any boot against it can take) and `octolab-verify boot` against the same fake.
 * Wall time from spawn to exit; the first round warms the page cache and is not counted. Prints
 * the medians and each ratio with its budget; exits 1 when one is over.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createFirecrackerApi } from '../../lib/firecracker/api-client.ts';
import { waitForSocket } from '../../lib/host/vmm/wait-for-socket.ts';
import { ensureBuilt, PACKAGE_ROOT } from '../../scripts/built.cjs';
import { FAKE_FIRECRACKER_BIN, writeFakeImages, type FakeImages } from '../../fixtures/fake-firecracker/index.ts';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'octolab-verify.cjs');

/** Runs `node args` to its end; resolves with the wall milliseconds, failing on an unexpected exit code. */
function timeNode(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; expect: number }): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - started;
      if (code === options.expect) resolve(ms);
      else reject(new Error(`node ${args.join(' ')} exited ${code}, expected ${options.expect}: ${stderr.trim()}`));
    });
  });
}

/** The fake alone: spawn it, configure it over its API the moment its socket appears, wait for its exit. */
async function timeFakeAlone(dir: string, images: FakeImages, delayMs: number): Promise<number> {
  const runDir = await fs.mkdtemp(path.join(dir, 'alone-'));
  const socket = path.join(runDir, 'api.sock');
  const log = path.join(runDir, 'fc.log');
  await fs.writeFile(log, ''); // Firecracker opens the log, it does not create it
  const started = performance.now();
  const child = spawn(FAKE_FIRECRACKER_BIN, ['--api-sock', socket, '--', '--fake-delay-ms', String(delayMs)], { cwd: runDir, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  try {
    const gaveUp = new AbortController();
    await Promise.race([waitForSocket(socket, gaveUp.signal), exited.then((code) => Promise.reject(new Error(`the fake alone exited ${code} before listening`)))]).finally(() => gaveUp.abort());
    const api = createFirecrackerApi({ socketPath: socket });
    try {
      await api.putLogger({ log_path: log, level: 'Info', show_level: true });
      await api.putMachineConfig({ vcpu_count: 1, mem_size_mib: 128, smt: false });
      await api.putBootSource({ kernel_image_path: images.kernel, boot_args: 'console=ttyS0 reboot=k panic=1 pci=off' });
      await api.putDrive({ drive_id: 'rootfs', path_on_host: images.rootfs, is_root_device: true, is_read_only: false });
      await api.action('InstanceStart');
    } finally {
      await api.close();
    }
    const code = await exited;
    const ms = performance.now() - started;
    if (code !== 0) throw new Error(`the fake alone exited ${code}`);
    return ms;
  } finally {
    // A run that failed midway leaves no fake behind.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await fs.rm(runDir, { recursive: true, force: true });
  }
}

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** One printed row: what ran, its median, and its ratio against a baseline with the budget. */
interface Row {
  name: string;
  ms: number;
  against: string;
  ratio: number;
  /** null: printed for comparison, without a budget of its own. */
  budget: number | null;
}

function printResults(rounds: number, loadBefore: number, baselines: Array<[string, number]>, rows: Row[]): number {
  const fmt = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;
  console.log(`pnpm bench:cli: ${rounds} rounds after 1 warm-up, runs alternating within each round; median wall time, spawn to exit`);
  console.log(`node ${process.version}, ${os.cpus().length} cores, 1-min load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after`);
  for (const [name, ms] of baselines) console.log(`  ${name.padEnd(60)} ${fmt(ms)}`);
  let over = 0;
  for (const row of rows) {
    const verdict = row.budget === null ? '(no budget of its own)' : `(budget ≤ ${row.budget}×) ${row.ratio <= row.budget ? 'ok' : 'OVER BUDGET'}`;
    if (row.budget !== null && row.ratio > row.budget) over++;
    console.log(`  ${row.name.padEnd(60)} ${fmt(row.ms)}  ${row.ratio.toFixed(2)}× ${row.against} ${verdict}`);
  }
  return over === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, 'delay-ms': { type: 'string', default: '100,300' } } });
  const rounds = Number(values.rounds);
  const delays = values['delay-ms'].split(',').map(Number);
  if (!Number.isInteger(rounds) || rounds < 1 || delays.some((d) => !Number.isInteger(d) || d < 0)) {
    console.error('usage: pnpm bench:cli [--rounds N≥1] [--delay-ms D[,D…]] (whole milliseconds ≥ 0; default 100,300)');
    return 64;
  }
  const loadBefore = os.loadavg()[0]!;
  const built = await ensureBuilt();
  if (built.rebuilt) console.log(`rebuilt dist/ first (${built.reason})`);

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-bench-'));
  try {
    const images = await writeFakeImages(dir);
    const stateDir = path.join(dir, 'state');
    await fs.mkdir(stateDir);
    const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1' };
    // A host without KVM or Firecracker, whatever this machine has: an absent device, and binary
    // names found nowhere on PATH (as on a host without them; an absent absolute path would
    // still be spawned for its --version). The cwd has no backend/.env.local.
    const bare = { ...base, OCTOLAB_KVM_DEVICE: path.join(dir, 'absent', 'kvm'), OCTOLAB_FIRECRACKER_BIN: 'octolab-bench-no-firecracker', OCTOLAB_MICROVM_JAILER_BIN: 'octolab-bench-no-jailer' };
    const fakeEnv = (delayMs: number) => ({
      ...base,
      OCTOLAB_FIRECRACKER_BIN: FAKE_FIRECRACKER_BIN,
      OCTOLAB_MICROVM_KERNEL_PATH: images.kernel,
      OCTOLAB_MICROVM_ROOTFS_BASE_PATH: images.rootfs,
      OCTOLAB_MICROVM_STATE_DIR: stateDir,
      FAKE_FIRECRACKER_DELAY_MS: String(delayMs),
    });
    const samples = new Map<string, number[]>();
    const add = (name: string, ms: number) => samples.set(name, [...(samples.get(name) ?? []), ms]);
    for (let round = 0; round <= rounds; round++) {
      const take: Array<[string, number]> = [];
      const run = async (name: string, args: string[], env: NodeJS.ProcessEnv, expect: number) => take.push([name, await timeNode(args, { cwd: dir, env, expect })]);
      await run('node', ['-e', '0'], base, 0);
      await run('help', [BIN, '--help'], base, 0);
      await run('node', ['-e', '0'], base, 0);
      await run('version', [BIN, '--version'], base, 0);
      await run('node', ['-e', '0'], base, 0);
      await run('doctor', [BIN, 'doctor', '--json'], bare, 2);
      for (const delayMs of delays) {
        take.push([`fake ${delayMs}`, await timeFakeAlone(dir, images, delayMs)]);
        await run(`boot ${delayMs}`, [BIN, 'boot'], fakeEnv(delayMs), 0);
      }
      if (round > 0) for (const [name, ms] of take) add(name, ms); // round 0 warms up
    }
    const m = (name: string) => median(samples.get(name)!);
    const rows: Row[] = [
      { name: 'octolab-verify --help', ms: m('help'), against: 'node -e 0', ratio: m('help') / m('node'), budget: 1.5 },
      { name: 'octolab-verify --version', ms: m('version'), against: 'node -e 0', ratio: m('version') / m('node'), budget: null },
      { name: 'octolab-verify doctor --json (no KVM, no Firecracker)', ms: m('doctor'), against: 'node -e 0', ratio: m('doctor') / m('node'), budget: 2.5 },
      ...delays.map((d) => ({ name: `octolab-verify boot (the fake, D=${d} ms)`, ms: m(`boot ${d}`), against: 'the fake alone', ratio: m(`boot ${d}`) / m(`fake ${d}`), budget: 1.2 })),
    ];
    const baselines: Array<[string, number]> = [['node -e 0 (baseline)', m('node')], ...delays.map((d): [string, number] => [`the fake alone, D=${d} ms (start, 3 × D, 5 API calls; baseline)`, m(`fake ${d}`)])];
    return printResults(rounds, loadBefore, baselines, rows);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
