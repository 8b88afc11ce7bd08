/**
 * Measures what an interrupted `octolab-verify boot` leaves behind: N tries, each a fresh boot
 * against the fake Firecracker that gets SIGTERM or SIGINT at a seeded random moment within the
 * first --window-ms after the launcher starts (start-up, then "prepare"); after each, counts the
 * lab directories, processes and sockets left in its sandbox, then removes them.
 *
 *   node --import tsx suites/soak/measure-interrupt.ts [--tries 20] [--window-ms 800] [--cli PATH]
 *
 * --cli runs another checkout's launcher (e.g. an export of an older commit, to compare), always
 * against this checkout's fake. The seed comes from OCTOLAB_FUZZ_SEED (printed either way).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createBootSandbox, fakeBootEnv } from '../unit/boot/boot-harness.ts';
import { takeCensus } from './census.ts';
import { CLI, endWithin, startCli } from './cli-run.ts';
import { seededRandom, soakSeed } from './seeded-random.ts';

const { values } = parseArgs({ options: { tries: { type: 'string', default: '20' }, 'window-ms': { type: 'string', default: '800' }, cli: { type: 'string', default: CLI } } });
const tries = Number(values.tries);
const windowMs = Number(values['window-ms']);
if (!Number.isInteger(tries) || tries < 1 || !Number.isInteger(windowMs) || windowMs < 0) {
  console.error('measure-interrupt: --tries must be a whole number ≥ 1 and --window-ms a whole number ≥ 0');
  process.exit(64);
}
const seed = soakSeed();
const random = seededRandom(seed);
console.log(`cli ${values.cli}; ${tries} tries; signal within ${windowMs} ms; seed ${seed} (OCTOLAB_FUZZ_SEED)`);

let leftLab = 0;
let leftAnything = 0;
const sandbox = await createBootSandbox();
try {
  for (let i = 1; i <= tries; i++) {
    const signal = random.pick(['SIGTERM', 'SIGINT'] as const);
    const delay = random.int(0, windowMs);
    const marker = `SOAK_ROUND_MARKER=${seed}-${i}`;
    const env = fakeBootEnv(sandbox, { SOAK_ROUND_MARKER: `${seed}-${i}` });
    const run = startCli(['boot'], env, sandbox.root, values.cli);
    await new Promise((resolve) => setTimeout(resolve, delay));
    run.kill(signal);
    const end = await endWithin(run, 60_000, `try ${i}`);
    const census = await takeCensus({ root: sandbox.root, stateDir: sandbox.stateDir, marker });
    const stage = /FAILED at stage "([^"]+)"/.exec(end.stderr)?.[1] ?? '-';
    const how = end.signal ? `killed by ${end.signal}` : `exit ${end.code}`;
    console.log(`try ${i}: ${signal} after ${delay} ms → ${how}, stage ${stage}, left: ${census.problems.length === 0 ? 'nothing' : census.problems.join('; ')}`);
    if (census.labDirs.length > 0) leftLab++;
    if (census.problems.length > 0) leftAnything++;
    for (const pid of census.processes) process.kill(pid, 'SIGKILL');
    for (const name of census.labDirs) await fs.rm(path.join(sandbox.stateDir, name), { recursive: true, force: true });
  }
} finally {
  await sandbox.cleanup();
}
console.log(`${tries} tries: ${leftLab} left a lab dir, ${leftAnything} left anything`);
