import { describe, expect, it } from 'vitest';
import { createRealProcesses } from '../../../lib/host/real-processes.ts';
import { createRealUsers } from '../../../lib/host/real-users.ts';

// The process probes run on node:child_process (execa cost the doctor ~0.1 s of loading on every
// start): what execa gave them must still hold.
const proc = createRealProcesses(process.env);

describe('createRealProcesses().run', { timeout: 30_000 }, () => {
  it('feeds `input` on stdin, keeps stdout and stderr apart and the final newline in place', async () => {
    const run = await proc.run(process.execPath, ['-e', 'process.stdin.pipe(process.stdout); process.stderr.write("err\\n")'], { timeoutMs: 10_000, input: 'in\nput\n' });
    expect(run).toMatchObject({ exitCode: 0, signal: null, stdout: 'in\nput\n', stderr: 'err\n', timedOut: false });
  });

  it('adds `env` to this process\'s environment rather than replacing it', async () => {
    const run = await proc.run(process.execPath, ['-e', 'process.stdout.write(`${process.env.ONLY_HERE}:${Boolean(process.env.PATH)}`)'], { timeoutMs: 10_000, env: { ONLY_HERE: 'yes' } });
    expect(run.stdout).toBe('yes:true');
  });

  it('kills a program that outlives its timeout with SIGKILL and says it timed out', async () => {
    const run = await proc.run(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { timeoutMs: 300 });
    expect(run).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: true });
  });

  it('does not fail when the program exits without reading its input', async () => {
    const run = await proc.run(process.execPath, ['-e', 'process.exit(4)'], { timeoutMs: 10_000, input: 'x'.repeat(1 << 20) });
    expect(run.exitCode).toBe(4);
  });
});

describe('createRealUsers().userName', { timeout: 30_000 }, () => {
  it('names this process\'s own user without a process, as getent passwd does', async (ctx) => {
    const uid = process.geteuid!();
    const viaGetent = await proc.run('getent', ['passwd', String(uid)], { timeoutMs: 10_000 });
    if (viaGetent.exitCode !== 0) ctx.skip(`getent passwd has no entry for this uid (${uid}); nothing to compare with`);
    let spawned = 0;
    const counting = { ...proc, run: (...args: Parameters<typeof proc.run>) => (spawned++, proc.run(...args)) };
    const users = createRealUsers(counting, process.env);
    expect(await users.userName(uid)).toBe(viaGetent.stdout.split(':')[0]);
    expect(spawned).toBe(0);
  });
});
