/**
 * Collects the serial and Firecracker logs of failed boots into one directory for CI artifacts:
 *   - from `octolab-verify boot --json` results whose `ok` is false (the tails the boot kept
 *     before its teardown removed the lab directory);
 *   - from lab directories still in the state dir (a crash, or a kept VM) — copied before the
 *     cleanup step removes them.
 * Missing inputs are fine (nothing failed, or the boot step did not run). Exit code 0 always,
 * except for bad arguments (64): collecting logs must never hide the run's own result.
 *
 * usage: tsx ci/collect-boot-logs.ts --out DIR [--state-dir DIR] [BOOT_JSON...]
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../lib/config/index.ts';
import { createRealHost } from '../lib/host/real-host.ts';

/** One log file to write: a relative name and its text. */
export interface CollectedLog {
  name: string;
  text: string;
}

const LAB_LOGS = ['serial.log', 'firecracker.log', 'firecracker.stderr'];
const SAFE = /[^A-Za-z0-9._-]/g;

/** Returns the logs of a failed boot result (JSON text); none for a passing or unreadable one. Pure. */
export function logsOfBootResult(jsonText: string, source: string): CollectedLog[] {
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(jsonText) as Record<string, unknown>;
  } catch {
    return [{ name: `${path.basename(source).replace(SAFE, '_')}.unparsable.txt`, text: jsonText.slice(0, 200_000) }];
  }
  if (typeof result !== 'object' || result === null || result.ok !== false) return [];
  const id = String(result.lab_id ?? path.basename(source)).replace(SAFE, '_');
  const error = result.error && typeof result.error === 'object' ? (result.error as Record<string, unknown>) : {};
  const summary = [`failed stage: ${String(result.failed_stage ?? 'unknown')}`, `error: ${String(error.summary ?? '')}`, `hint: ${String(result.hint ?? '')}`, ''].join('\n');
  const logs: CollectedLog[] = [{ name: `boot-${id}/summary.txt`, text: summary }];
  for (const [field, file] of [['serial_tail', 'serial.log'], ['log_tail', 'firecracker.log'], ['stderr_tail', 'firecracker.stderr']] as const) {
    if (typeof result[field] === 'string' && result[field] !== '') logs.push({ name: `boot-${id}/${file}`, text: result[field] as string });
  }
  return logs;
}

async function labDirLogs(stateDir: string): Promise<CollectedLog[]> {
  const logs: CollectedLog[] = [];
  const entries = await fs.readdir(stateDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || !/^lab_[0-9a-f-]{36}$/.test(entry.name)) continue;
    for (const file of LAB_LOGS) {
      const text = await fs.readFile(path.join(stateDir, entry.name, file), 'utf8').catch(() => null);
      if (text !== null) logs.push({ name: `${entry.name}/${file}`, text: text.slice(-1_000_000) });
    }
  }
  return logs;
}

async function main(argv: string[]): Promise<number> {
  let out: string | null = null;
  let stateDir: string | null = null;
  const results: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i] ?? null;
    else if (argv[i] === '--state-dir') stateDir = argv[++i] ?? null;
    else results.push(argv[i]!);
  }
  if (!out) {
    console.error('usage: tsx ci/collect-boot-logs.ts --out DIR [--state-dir DIR] [BOOT_JSON...]');
    return 64;
  }
  if (stateDir === null) {
    const host = createRealHost();
    stateDir = await loadConfig({ env: process.env, fs: host.fs })
      .then((loaded) => loaded.config.stateDir)
      .catch(() => null);
  }
  const logs: CollectedLog[] = [];
  for (const file of results) if (existsSync(file)) logs.push(...logsOfBootResult(await fs.readFile(file, 'utf8'), file));
  if (stateDir) logs.push(...(await labDirLogs(stateDir)));
  for (const log of logs) {
    const target = path.join(out, log.name);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, log.text);
  }
  console.error(logs.length === 0 ? 'collect-boot-logs: no failed boot and no lab directory left: nothing to collect' : `collect-boot-logs: wrote ${logs.length} file(s) to ${out}`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
