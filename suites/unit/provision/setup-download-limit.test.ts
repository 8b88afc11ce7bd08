import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeKernel } from '../../../fixtures/fake-artifacts/build-artifacts.ts';
import { createDownloader } from '../../../lib/host/download.ts';
import { DownloadError } from '../../../lib/provision/errors.ts';
import { installLayout } from '../../../lib/provision/layout.ts';
import { createSetupWorld, listTree, type SetupWorld } from './setup-harness.ts';

// Regression: downloads had no size limit, so a broken or hostile mirror could stream an unbounded
// body to disk before the sha256 check (and with --kernel-sha256 skip, with no check at all).

/** How the stream server answers one path: a body, sent whole with a Content-Length or chunked. */
interface Served {
  body: Buffer;
  contentLength?: number;
  chunked?: boolean;
  /** Send the headers and this many bytes, then never finish. */
  stallAfter?: number;
}

/** A loopback server that can send chunked bodies and lying Content-Lengths (artifact-server cannot). */
async function startStreamServer(files: Record<string, Served>): Promise<{ url(p: string): string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = files[req.url ?? ''];
    if (!file) return void res.writeHead(404).end();
    if (file.chunked) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let at = 0; at < file.body.length; at += 1024) res.write(file.body.subarray(at, at + 1024));
      return void res.end();
    }
    res.writeHead(200, { 'content-length': String(file.contentLength ?? file.body.length) });
    if (file.stallAfter !== undefined) return void res.write(file.body.subarray(0, file.stallAfter));
    res.end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

let world: SetupWorld;
let stream: Awaited<ReturnType<typeof startStreamServer>>;
const served: Record<string, Served> = {};
beforeEach(async () => {
  world = await createSetupWorld();
  stream = await startStreamServer(served);
});
afterEach(async () => {
  for (const key of Object.keys(served)) delete served[key];
  await stream.close();
  await world.cleanup();
});

const output = () => world.stdout.join('') + world.stderr.join('');
const exists = (file: string) => fs.stat(file).then(() => true, () => false);
const limited = (maxBytes: number) => createDownloader({ useEnvProxy: false, maxBytes });

describe('the download size limit', () => {
  it.each([
    ['with a Content-Length', false, 'the server announced Content-Length 4097'],
    ['chunked, without a Content-Length', true, 'more than 4096 bytes arrived (the server sent no Content-Length)'],
  ])('accepts a body of exactly the cap and refuses one byte more, %s, leaving no file', async (_name, chunked, reason) => {
    served['/exact'] = { body: Buffer.alloc(4096, 1), chunked };
    served['/over'] = { body: Buffer.alloc(4097, 1), chunked };
    const exact = path.join(world.root, 'exact');
    const over = path.join(world.root, 'over');
    expect(await limited(4096).fetch({ kind: 'url', url: stream.url('/exact') }, exact)).toMatchObject({ bytes: 4096 });
    const error = await limited(4096).fetch({ kind: 'url', url: stream.url('/over') }, over).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ code: 'DOWNLOAD_TOO_LARGE', reason });
    expect((error as DownloadError).summary).toBe(`refused ${stream.url('/over')}: it is larger than the 4 KiB limit for one artifact; the download was stopped, any partial file removed, and nothing was installed`);
    expect((error as DownloadError).hint).toMatch(/check that the URL \(or the mirror\) serves the right file/);
    expect(await exists(over)).toBe(false);
  });

  it('refuses an announced Content-Length over the cap before reading the body or creating the file', async () => {
    served['/huge'] = { body: Buffer.alloc(1024, 1), contentLength: 10 * 1024 ** 3, stallAfter: 1024 };
    const to = path.join(world.root, 'huge');
    const progress: number[] = [];
    // The server never finishes: only a refusal on the headers can end this before the idle timeout.
    const error = await limited(1024 * 1024)
      .fetch({ kind: 'url', url: stream.url('/huge') }, to, { onProgress: (bytes) => progress.push(bytes), idleTimeoutMs: 2_000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DOWNLOAD_TOO_LARGE', reason: `the server announced Content-Length ${10 * 1024 ** 3}` });
    expect((error as DownloadError).summary).toContain('the 1 MiB limit');
    expect(progress).toEqual([]);
    expect(await exists(to)).toBe(false);
  });

  it('refuses a mirror file larger than the cap without copying it', async () => {
    const source = path.join(world.root, 'vmlinux');
    await fs.writeFile(source, Buffer.alloc(4097));
    const to = path.join(world.root, 'copy');
    const error = await limited(4096).fetch({ kind: 'file', path: source }, to).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DOWNLOAD_TOO_LARGE', attempted: `copy ${source}`, reason: 'the file has 4097 bytes' });
    expect((error as DownloadError).summary).toContain(`refused mirror file ${source}: it is larger than the 4 KiB limit`);
    expect(await exists(to)).toBe(false);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a cap of %s bytes when the downloader is created', (maxBytes) => {
    expect(() => createDownloader({ maxBytes })).toThrow(/maxBytes must be a positive whole number of bytes/);
  });
});

describe('setup with a size limit on each artifact', () => {
  it('refuses a release tarball announced larger than the cap and leaves the installed binaries as they were', async () => {
    expect(await world.setup()).toBe(0);
    const layout = installLayout(world.prefix);
    await fs.writeFile(layout.firecrackerBin, 'previous firecracker');
    const tarballUrl = world.release.url;
    world.server.files.set(new URL(tarballUrl).pathname, { body: Buffer.alloc(64 * 1024, 7) });
    world.stdout.length = 0;
    expect(await world.setup([], { downloader: limited(16 * 1024) })).toBe(1);
    expect(output()).toContain(`[FAIL] firecracker  refused ${tarballUrl}: it is larger than the 16 KiB limit for one artifact`);
    expect(output()).toContain('reason: the server announced Content-Length 65536');
    expect(output()).toMatch(/\[--  \] kernel +not run/);
    expect(await fs.readFile(layout.firecrackerBin, 'utf8')).toBe('previous firecracker');
    expect(await fs.readFile(layout.jailerBin)).toEqual(world.artifacts.jailer);
    expect((await listTree(world.prefix)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a chunked kernel over the cap even with --kernel-sha256 skip, and keeps the previous kernel', async () => {
    const layout = installLayout(world.prefix);
    await fs.mkdir(layout.assetsDir, { recursive: true });
    await fs.writeFile(layout.kernel, 'previous kernel');
    // A valid-looking 64-bit ELF: without the cap, skip + the ELF check would install all of it.
    served['/vmlinux-huge'] = { body: fakeKernel(1024 * 1024), chunked: true };
    const url = stream.url('/vmlinux-huge');
    expect(await world.setup(['--kernel-url', url, '--kernel-sha256', 'skip'], { downloader: limited(64 * 1024) })).toBe(1);
    expect(output()).toMatch(/\[done\] firecracker /);
    expect(output()).toContain(`[FAIL] kernel       refused ${url}: it is larger than the 64 KiB limit for one artifact`);
    expect(output()).toContain('reason: more than 65536 bytes arrived (the server sent no Content-Length)');
    expect(await fs.readFile(layout.kernel, 'utf8')).toBe('previous kernel');
    expect(JSON.parse(await fs.readFile(layout.manifest, 'utf8')).kernel).toBeUndefined();
    expect((await listTree(world.prefix)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
