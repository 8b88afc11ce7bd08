/**
 * How fast the built CLI starts, against baselines run side by side in the same rounds:
 *
 *   pnpm bench:cli [--rounds 15] [--delay-ms 100]
 *
 * Each round runs, one after another: `node -e 0`, `octolab-verify --help`, `node -e 0`,
 * `octolab-verify --version`, `node -e 0`, `octolab-verify doctor --json` (on a host made to lack
 * KVM and Firecracker, whatever this machine has), then the fake
 * Firecracker driven directly by this process (its own start, its built-in delay D three times, the
 * five API calls: the least any boot against it can take) and `octolab-verify boot` against the
 * same fake with the same D. Wall time from spawn to exit; the first round warms the page cache and
 * is not counted. Prints the medians and each ratio with its budget; exits 1 when one is over.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createFirecrackerApi } from '../../lib/firecracker/api-client.ts';
import { waitForSocket } from '../../lib/host/vmm/wait-for-socket.ts';
import { ensureBuilt, PACKAGE_ROOT } from '../../scripts/built.mjs';
import { FAKE_FIRECRACKER_BIN, writeFakeImages, type FakeImages } from '../../fixtures/fake-firecracker/index.ts';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'octolab-verify.mjs');

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
  await fs.rm(runDir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`the fake alone exited ${code}`);
  return ms;
}

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, 'delay-ms': { type: 'string', default: '100' } } });
  const rounds = Number(values.rounds);
  const delayMs = Number(values['delay-ms']);
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(delayMs) || delayMs < 0) {
    console.error('usage: pnpm bench:cli [--rounds N≥1] [--delay-ms D≥0]');
    return 64;
  }
  const loadBefore = os.loadavg();
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
    const fake = {
      ...base,
      OCTOLAB_FIRECRACKER_BIN: FAKE_FIRECRACKER_BIN,
      OCTOLAB_MICROVM_KERNEL_PATH: images.kernel,
      OCTOLAB_MICROVM_ROOTFS_BASE_PATH: images.rootfs,
      OCTOLAB_MICROVM_STATE_DIR: stateDir,
      FAKE_FIRECRACKER_DELAY_MS: String(delayMs),
    };
    const samples: Record<string, number[]> = { node: [], help: [], version: [], doctor: [], fake: [], boot: [] };
    for (let round = 0; round <= rounds; round++) {
      const take: Record<string, number> = {};
      take.node = await timeNode(['-e', '0'], { cwd: dir, env: base, expect: 0 });
      take.help = await timeNode([BIN, '--help'], { cwd: dir, env: base, expect: 0 });
      const node2 = await timeNode(['-e', '0'], { cwd: dir, env: base, expect: 0 });
      take.version = await timeNode([BIN, '--version'], { cwd: dir, env: base, expect: 0 });
      const node3 = await timeNode(['-e', '0'], { cwd: dir, env: base, expect: 0 });
      take.doctor = await timeNode([BIN, 'doctor', '--json'], { cwd: dir, env: bare, expect: 2 });
      take.fake = await timeFakeAlone(dir, images, delayMs);
      take.boot = await timeNode([BIN, 'boot'], { cwd: dir, env: fake, expect: 0 });
      if (round === 0) continue; // warm-up
      for (const [name, ms] of Object.entries(take)) samples[name]!.push(ms);
      samples.node!.push(node2, node3);
    }
    const m = Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, median(xs)])) as Record<string, number>;
    const rows: Array<[string, number, string, number, number]> = [
      ['octolab-verify --help', m.help!, 'node -e 0', m.help! / m.node!, 1.5],
      ['octolab-verify --version', m.version!, 'node -e 0', m.version! / m.node!, 1.5],
      ['octolab-verify doctor --json (no KVM, no Firecracker)', m.doctor!, 'node -e 0', m.doctor! / m.node!, 2.5],
      [`octolab-verify boot (fake, D=${delayMs} ms)`, m.boot!, 'the fake alone', m.boot! / m.fake!, 1.2],
    ];
    const fmt = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;
    console.log(`pnpm bench:cli: ${rounds} rounds after 1 warm-up, runs alternating within each round; median wall time, spawn to exit`);
    console.log(`node ${process.version}, ${os.cpus().length} cores, 1-min load average ${loadBefore[0]!.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after`);
    console.log(`  ${'node -e 0 (baseline)'.padEnd(54)} ${fmt(m.node!)}`);
    console.log(`  ${`the fake alone (start, 3 × D=${delayMs} ms, 5 API calls; baseline)`.padEnd(54)} ${fmt(m.fake!)}`);
    let over = 0;
    for (const [name, ms, against, ratio, budget] of rows) {
      const verdict = ratio <= budget ? 'ok' : 'OVER BUDGET';
      if (ratio > budget) over++;
      console.log(`  ${name.padEnd(54)} ${fmt(ms)}  ${ratio.toFixed(2)}× ${against} (budget ≤ ${budget}×) ${verdict}`);
    }
    return over === 0 ? 0 : 1;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
