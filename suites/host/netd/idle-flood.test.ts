import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { requireTools } from '../../support/require.ts';
import { awaitDaemonStart, clientOf, NamespaceRig } from './support.ts';

// Regression (issue 11 item 7): 140 connections that sent nothing made microvm-netd answer every
// other client TOO_MANY_CONNECTIONS until they timed out (30 s), and any member of the socket's
// group could repeat that forever. Here a member holds 200 idle connections to the real daemon
// process; the daemon caps that uid at its share (128 of 256), and another client (root, another
// uid) is answered while all of the flooder's accepted connections are still held open.

const CLI = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));
const LAB = '12345678-1234-4234-8234-123456789abc';

/**
 * Run as the flooding user: opens N connections that send nothing, prints {open, refused, other}
 * as JSON whenever a count changes and on "status" from stdin; closes everything and exits at EOF.
 * "refused" are the ones answered TOO_MANY_CONNECTIONS (their messages are kept for the test).
 */
const FLOODER = `
const net = require('node:net');
const [socketPath, count] = [process.argv[1], Number(process.argv[2])];
const state = { open: 0, refused: 0, other: 0, messages: [] };
const sockets = [];
const report = () => console.log(JSON.stringify(state));
for (let i = 0; i < count; i++) {
  const socket = net.createConnection(socketPath);
  sockets.push(socket);
  let text = '';
  let counted = false;
  socket.on('connect', () => { state.open++; counted = true; report(); });
  socket.on('data', (chunk) => (text += chunk));
  socket.on('end', () => {
    if (counted) state.open--;
    counted = false;
    if (text.includes('TOO_MANY_CONNECTIONS')) { state.refused++; state.messages = [...new Set([...state.messages, JSON.parse(text).message])]; }
    else state.other++;
    report();
  });
  socket.on('error', (error) => { if (counted) state.open--; counted = false; state.other++; report(); });
}
process.stdin.on('data', () => report());
process.stdin.on('end', () => { for (const socket of sockets) socket.destroy(); process.exit(0); });
`;

interface FloodState {
  open: number;
  refused: number;
  other: number;
  messages: string[];
}

const rig = new NamespaceRig();
afterEach(() => rig.finish());

describe('microvm-netd under an idle flood from one client', () => {
  it('answers another client\'s ping and alloc while one uid holds 200 idle connections (its share of 128 held, 72 refused)', { tags: ['root', 'net', 'users', 'slow'], timeout: 300_000 }, async (ctx) => {
    requireTools(ctx, 'users', ['useradd', 'groupadd', 'userdel', 'groupdel', 'runuser']);
    const { netns, dir } = await rig.open(ctx);
    const tag = randomBytes(3).toString('hex');
    const group = `ovtg${tag}`;
    const user = `ovtf${tag}`;
    await execa('groupadd', ['--system', group]);
    rig.onFinish(async () => {
      await execa('groupdel', [group], { reject: false });
      expect((await execa('getent', ['group', group], { reject: false })).exitCode).toBe(2);
    });
    await execa('useradd', ['--system', '--no-create-home', '--no-user-group', '--shell', '/usr/sbin/nologin', '-G', group, user]);
    rig.onFinish(async () => {
      await execa('userdel', [user], { reject: false });
      expect((await execa('getent', ['passwd', user], { reject: false })).exitCode).toBe(2);
    });
    const uid = Number((await execa('id', ['-u', user])).stdout.trim());
    await fs.chmod(dir, 0o711);
    const socketPath = path.join(dir, 'run', 'netd.sock');

    // A long request deadline: every idle connection the daemon accepted stays open for the whole test.
    const daemon = execa(process.execPath, [CLI, 'netd', 'serve', '--socket', socketPath, '--group', group, '--netns', netns, '--request-timeout', '240'], { reject: false, all: true });
    const start = await awaitDaemonStart(rig, daemon, socketPath);
    if (start.outcome === 'exited') throw new Error(`the daemon did not come up (exit ${start.exitCode}):\n${start.output}`);

    const flooder = execa('runuser', ['-u', user, '--', process.execPath, '-e', FLOODER, socketPath, '200'], { reject: false, buffer: { stdout: false } });
    rig.onFinish(async () => {
      flooder.stdin?.end();
      await flooder;
    });
    let latest: FloodState = { open: 0, refused: 0, other: 0, messages: [] };
    const updates: Array<() => void> = [];
    let pending = '';
    flooder.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) latest = JSON.parse(line) as FloodState;
      for (const wake of updates.splice(0)) wake();
    });
    void flooder.finally(() => {
      for (const wake of updates.splice(0)) wake();
    });
    /** Waits for the flooder's next report; gives up (failing with its last state) only if it never comes. */
    const nextReport = () =>
      new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`no report from the flooder within 120 s; last: ${JSON.stringify(latest)}`)), 120_000);
        updates.push(() => {
          clearTimeout(guard);
          resolve();
        });
      });
    const until = async (check: (state: FloodState) => boolean) => {
      while (!check(latest)) {
        if (flooder.exitCode !== null) throw new Error(`the flooder exited: ${(await flooder).stderr}`);
        await nextReport();
      }
    };
    // Every connection is accepted and held, or refused at once; refusals arrive as answers.
    await until((state) => state.open + state.refused + state.other === 200 && state.refused + state.other >= 72);
    expect(latest).toEqual({
      open: 128,
      refused: 72,
      other: 0,
      messages: [`microvm-netd serves at most 128 connections at once per client, and uid ${uid} has that many open; close idle ones and retry`],
    });

    const client = clientOf(socketPath);
    await expect(client.ping()).resolves.toMatchObject({ status: 'ok' });
    await expect(client.request({ op: 'alloc_vm_net', lab_id: LAB })).resolves.toMatchObject({ ok: true, result: { tap: 'otp1234567812', guest_ip: expect.any(String) } });
    // Answered while the flood still held every accepted connection: nothing waited for them to time out.
    const report = nextReport();
    flooder.stdin!.write('status\n');
    await report;
    expect(latest).toMatchObject({ open: 128, refused: 72, other: 0 });
    await expect(client.request({ op: 'release_vm_net', lab_id: LAB })).resolves.toMatchObject({ ok: true });

    flooder.stdin!.end();
    expect((await flooder).exitCode).toBe(0);
    daemon.kill('SIGTERM');
    const result = await daemon;
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain(`result=TOO_MANY_CONNECTIONS duration_ms=0.0 uid=${uid} pid=`);
    expect(result.all).toMatch(new RegExp(`op=alloc_vm_net lab=${LAB} result=ok duration_ms=\\S+ uid=0 pid=\\d+`));
  });
});
