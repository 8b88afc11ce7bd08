import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FAKE_FIRECRACKER_BIN } from '../../../fixtures/fake-firecracker/index.ts';
import { fakeBootEnv, useBootSandbox } from './boot-harness.ts';

// What `boot` has loaded when it starts firecracker: everything before the spawn lies on the path of
// every boot, everything after it loads while firecracker starts. The real launcher runs under two
// preloads: the launcher tests' recorder (every ES module resolved) and a probe that notes, at each
// spawn, which of Node's built-in modules are loaded.

const BIN = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));
const RECORDER = fileURLToPath(new URL('../launcher/record-loads.mjs', import.meta.url));
const PROBE = fileURLToPath(new URL('./spawn-probe.mjs', import.meta.url));

const sandbox = useBootSandbox();

/** Runs `boot` with both preloads; returns its exit, the built-ins loaded at firecracker's spawn, and every dist/ file it imported. */
async function recordedBoot(): Promise<{ code: number | null; stderr: string; builtinsAtSpawn: string[]; distFiles: string[] }> {
  const record = path.join(sandbox().root, `loads-${process.hrtime.bigint()}.txt`);
  await fs.writeFile(record, '');
  const child = spawn(process.execPath, ['--import', RECORDER, '--import', PROBE, BIN, 'boot'], {
    cwd: sandbox().root,
    env: { ...fakeBootEnv(sandbox()), RECORD_LOADS_TO: record, SPAWN_PROBE_TO: record },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = (await fs.readFile(record, 'utf8')).split('\n').filter(Boolean);
  const spawned = lines.find((line) => line.startsWith(`spawn ${FAKE_FIRECRACKER_BIN} `));
  const distFiles = lines.map((line) => /^import .*\/dist\/([^/]+\.js)$/.exec(line)?.[1]).filter((file): file is string => file !== undefined);
  return { code, stderr, builtinsAtSpawn: spawned ? JSON.parse(spawned.slice(`spawn ${FAKE_FIRECRACKER_BIN} `.length)) : [], distFiles };
}

describe('what boot loads before it starts firecracker', { timeout: 60_000 }, () => {
  it('starts firecracker before loading node:http or the performance clock, and never loads the netd client without --net', async () => {
    const run = await recordedBoot();
    expect(run.code, run.stderr).toBe(0);
    // The spawn was seen, with child_process (the spawn itself) and fs loaded by then...
    expect(run.builtinsAtSpawn).toEqual(expect.arrayContaining(['child_process', 'fs']));
    // ...but not what only the stages after it need: the API client's node:http, or perf_hooks.
    expect(run.builtinsAtSpawn.filter((name) => /^(http|_http_client|_http_agent|perf_hooks|internal\/perf\/performance)$/.test(name))).toEqual([]);
    const netdClient = [];
    for (const file of new Set(run.distFiles)) {
      if ((await fs.readFile(path.join(path.dirname(BIN), '..', 'dist', file), 'utf8')).includes('\n// lib/netd/client.ts\n')) netdClient.push(file);
    }
    expect(netdClient).toEqual([]);
  });
});
