import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { FAKE_FIRECRACKER_BIN, writeFakeImages, type FakeImages } from '../../../fixtures/fake-firecracker/index.ts';
import { waitForSocket } from '../../../lib/host/vmm/wait-for-socket.ts';

/** A running FakeFirecracker with its own temp dir, socket, images and captured output. */
export interface RunningFake {
  dir: string;
  socket: string;
  images: FakeImages;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Kills it (if running) and removes its temp dir. */
  stop(): Promise<void>;
}

/** Starts the fake with `--api-sock <dir>/api.sock` plus `args`, and waits until it listens. */
export async function startFake(args: readonly string[] = [], env: Record<string, string> = {}): Promise<RunningFake> {
  const { path: dir, cleanup } = await tmpDir({ unsafeCleanup: true, prefix: 'fcf-' });
  const socket = path.join(dir, 'api.sock');
  const images = await writeFakeImages(dir);
  const child = spawn(FAKE_FIRECRACKER_BIN, ['--api-sock', socket, ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`the fake did not listen within 20 s; stderr: ${err}`)), 20_000);
  try {
    await Promise.race([waitForSocket(socket, controller.signal), exited.then((e) => Promise.reject(new Error(`the fake exited early (${JSON.stringify(e)}): ${err}`)))]);
  } catch (error) {
    child.kill('SIGKILL');
    await cleanup();
    throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return {
    dir,
    socket,
    images,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      await cleanup();
    },
  };
}

/** Runs the fake to completion with `args` (no socket wait) and returns its output and exit. */
export async function runFake(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; killAfterMs?: number } = {}) {
  const child = spawn(FAKE_FIRECRACKER_BIN, [...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A fake that should have exited but serves on (a regression) is killed, so the test fails on its
  // exit status instead of timing out and leaving the process behind.
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 20_000);
  const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('close', (c, s) => resolve({ code: c, signal: s })));
  clearTimeout(killer);
  return { code, signal, stdout, stderr };
}

/** Sends raw bytes on a new connection and resolves with everything received until `done(received)` or close. */
export function rawExchange(socket: string, bytes: string | Buffer, done: (received: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const connection = net.connect(socket);
    let received = '';
    const timer = setTimeout(() => {
      connection.destroy();
      reject(new Error(`no complete answer within 10 s; got ${JSON.stringify(received)}`));
    }, 10_000);
    connection.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (done(received)) {
        clearTimeout(timer);
        connection.destroy();
        resolve(received);
      }
    });
    connection.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    connection.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    connection.write(bytes);
  });
}

/** True once `text` holds `count` complete HTTP responses (by Content-Length). */
export function hasResponses(text: string, count: number): boolean {
  let rest = text;
  for (let i = 0; i < count; i++) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd === -1) return false;
    const length = Number(/Content-Length: (\d+)/i.exec(rest.slice(0, headEnd))?.[1] ?? 0);
    if (rest.length < headEnd + 4 + length) return false;
    rest = rest.slice(headEnd + 4 + length);
  }
  return true;
}

/** Reads a file under the fake's dir. */
export function readIn(fake: RunningFake, name: string): Promise<string> {
  return fs.readFile(path.join(fake.dir, name), 'utf8');
}
