import type { Duplex } from 'node:stream';
import type { InProcessNetd } from '../../../fixtures/fake-netd.ts';

/** Sends `chunks` on a raw connection (one write each, a tick apart), half-closes if asked, and returns the parsed reply. */
export async function sendRaw(netd: InProcessNetd, chunks: (string | Buffer)[], options: { halfClose?: boolean } = {}): Promise<Record<string, unknown>> {
  const client = netd.connect();
  const answer = readAll(client);
  for (const chunk of chunks) {
    client.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (options.halfClose) client.end();
  const text = (await answer).toString('utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

/** Reads a stream until it ends. */
export function readAll(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Lab ids used across the netd unit tests. */
export const LABS = {
  one: '12345678-1234-4234-8234-123456789abc',
  twin: '12345678-12ff-4fff-8fff-ffffffffffff',
  other: 'abcdefab-cdef-4abc-8def-abcdefabcdef',
} as const;
