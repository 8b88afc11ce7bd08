import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { Agent, EnvHttpProxyAgent, interceptors, request, type Dispatcher } from 'undici';
import { errnoOf } from '../errors.ts';
import { MAX_ARTIFACT_BYTES } from '../provision/artifacts.ts';
import { DownloadError } from '../provision/errors.ts';
import type { ArtifactLocation, Downloader, FetchOptions, FetchResult } from '../provision/ports.ts';

/** Options of the real downloader. */
export interface DownloaderOptions {
  /** Honour HTTP_PROXY / HTTPS_PROXY / NO_PROXY (default true). */
  useEnvProxy?: boolean;
  /** At most this many redirects (GitHub release assets redirect once); default 5. */
  maxRedirections?: number;
  /**
   * Refuse an artifact larger than this many bytes (default MAX_ARTIFACT_BYTES, 512 MiB): before
   * reading the body when Content-Length or the mirror file's size says so, else as soon as more
   * bytes arrive. Each fetch is limited separately; tests pass a small cap.
   */
  maxBytes?: number;
}

/** The source of one fetch and the most bytes it may deliver. */
interface Limit {
  maxBytes: number;
  /** What is fetched, for messages: the URL, or `mirror file <path>`. */
  source: string;
  attempted: string;
}

const IDLE_TIMEOUT_MS = 60_000;

/**
 * The real downloader: http(s) through undici (redirects followed, proxies from the environment),
 * or a copy from a mirror directory. Streams into a file created exclusively, hashing as it goes;
 * a body shorter than its Content-Length, one larger than `maxBytes`, a network error or a bad
 * status removes the file.
 */
export function createDownloader(options: DownloaderOptions = {}): Downloader {
  const maxBytes = options.maxBytes ?? MAX_ARTIFACT_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`createDownloader: maxBytes must be a positive whole number of bytes, got ${maxBytes}`);
  return {
    async fetch(from, to, fetchOptions = {}) {
      try {
        return from.kind === 'file'
          ? await copyFile(from.path, to, fetchOptions, { maxBytes, source: `mirror file ${from.path}`, attempted: `copy ${from.path}` })
          : await download(from.url, to, fetchOptions, options, { maxBytes, source: from.url, attempted: `GET ${from.url}` });
      } catch (error) {
        await fs.rm(to, { force: true });
        throw error;
      }
    },
  };
}

/** Streams `chunks` into a new file; stops (throwing) before writing past `limit.maxBytes`. */
async function writeChunks(chunks: AsyncIterable<Buffer | Uint8Array>, to: string, total: number | null, options: FetchOptions, limit: Limit): Promise<FetchResult> {
  const hash = createHash('sha256');
  const handle = await fs.open(to, 'wx', 0o600);
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      // Leaving the loop by throwing ends the iteration, which destroys the HTTP body or file stream.
      if (bytes + chunk.length > limit.maxBytes) throw tooLarge(limit, `more than ${limit.maxBytes} bytes arrived${total === null ? ' (the server sent no Content-Length)' : ''}`);
      hash.update(chunk);
      await handle.write(chunk);
      bytes += chunk.length;
      options.onProgress?.(bytes, total);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function copyFile(source: string, to: string, options: FetchOptions, limit: Limit): Promise<FetchResult> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(source, 'r');
  } catch (error) {
    const errno = errnoOf(error);
    throw new DownloadError({
      code: errno === 'ENOENT' ? 'MIRROR_FILE_MISSING' : 'MIRROR_FILE_UNREADABLE',
      summary: errno === 'ENOENT' ? `the mirror has no ${source}` : `cannot read ${source} from the mirror: ${errno ?? (error as Error).message}`,
      attempted: `copy ${source}`,
      reason: errno,
      hint: 'Put the artifact into the mirror directory under its release file name (the last part of its URL).',
      cause: error,
    });
  }
  try {
    const { size } = await handle.stat();
    if (size > limit.maxBytes) throw tooLarge(limit, `the file has ${size} bytes`);
    const result = await writeChunks(handle.createReadStream({ signal: options.signal, autoClose: false }), to, size, options, limit);
    return result;
  } finally {
    await handle.close();
  }
}

async function download(url: string, to: string, options: FetchOptions, downloader: DownloaderOptions, limit: Limit): Promise<FetchResult> {
  const protocol = new URL(url).protocol;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new DownloadError({ code: 'DOWNLOAD_BAD_URL', summary: `refusing to download ${url}: only http and https are supported`, hint: 'Use an http(s) URL, or a mirror directory.' });
  }
  const idle = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const timeouts = { headersTimeout: idle, bodyTimeout: idle };
  const base: Dispatcher = downloader.useEnvProxy === false ? new Agent(timeouts) : new EnvHttpProxyAgent(timeouts);
  const dispatcher = base.compose(interceptors.redirect({ maxRedirections: downloader.maxRedirections ?? 5 }));
  let total: number | null = null;
  let received = 0;
  try {
    const response = await request(url, { dispatcher, signal: options.signal });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new DownloadError({
        code: 'DOWNLOAD_HTTP_STATUS',
        summary: `downloading ${url} failed: HTTP ${response.statusCode}`,
        attempted: `GET ${url}`,
        reason: `HTTP ${response.statusCode}`,
        hint: response.statusCode === 404 ? 'Check the URL (or the mirror holds the file under its release name).' : 'Try again later, or use --mirror.',
      });
    }
    const length = Number(response.headers['content-length']);
    total = Number.isSafeInteger(length) && length >= 0 ? length : null;
    if (total !== null && total > limit.maxBytes) {
      // Refused on the announced length alone: no file is created, and dump() destroys a body longer
      // than its limit without reading it (and without an unhandled 'error' event, unlike destroy()).
      await response.body.dump({ limit: 1 });
      throw tooLarge(limit, `the server announced Content-Length ${total}`);
    }
    const result = await writeChunks(response.body, to, total, {
      ...options,
      onProgress: (bytes, all) => {
        received = bytes;
        options.onProgress?.(bytes, all);
      },
    }, limit);
    if (total !== null && result.bytes !== total) throw cut(url, result.bytes, total, 'the body ended early');
    return result;
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    const code = (error as { code?: string }).code ?? errnoOf(error);
    if (received > 0 || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') throw cut(url, received, total, (error as Error).message, error);
    throw new DownloadError({
      code: 'DOWNLOAD_FAILED',
      summary: `downloading ${url} failed: ${code ?? (error as Error).message}`,
      attempted: `GET ${url}`,
      reason: (error as Error).message,
      hint: 'Check the network (or the proxy variables), or use --mirror DIR|URL on air-gapped runners.',
      cause: error,
    });
  } finally {
    await base.close();
  }
}

function cut(url: string, received: number, total: number | null, why: string, cause?: unknown): DownloadError {
  return new DownloadError({
    code: 'DOWNLOAD_CUT',
    summary: `the download of ${url} was cut after ${received}${total === null ? '' : ` of ${total}`} bytes; nothing was installed`,
    attempted: `GET ${url}`,
    reason: why,
    hint: 'Run setup again; the previous install is untouched.',
    cause,
  });
}

function tooLarge(limit: Limit, why: string): DownloadError {
  return new DownloadError({
    code: 'DOWNLOAD_TOO_LARGE',
    summary: `refused ${limit.source}: it is larger than the ${renderBytes(limit.maxBytes)} limit for one artifact; the download was stopped, any partial file removed, and nothing was installed`,
    attempted: limit.attempted,
    reason: why,
    hint: 'A Firecracker release tarball or a guest kernel is tens of MiB: check that the URL (or the mirror) serves the right file. The previous install is untouched.',
  });
}

/** "512 MiB", "64 KiB" or "1000 bytes". */
function renderBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
