import { HostError } from '../errors.ts';
import type { HostSockets } from './types.ts';
import { hostErrorFrom } from './host-error.ts';

/** The real unix-socket exchange: connect, write the payload, read until the peer closes. */
export function createRealSockets(): HostSockets {
  return {
    unixRequest(socketPath, payload, options) {
      if (options.signal?.aborted) return Promise.reject(options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted'));
      return new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let received = 0;
        let settled = false;
        // node:net is taken on first use: the doctor's start does not pay for it when no socket exists.
        const socket = process.getBuiltinModule('node:net').createConnection({ path: socketPath });
        const onAbort = () => finish(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
        const finish = (error: Error | null, value?: Buffer) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          socket.destroy();
          if (error) reject(error);
          else resolve(value ?? Buffer.alloc(0));
        };
        const timer = setTimeout(() => {
          const error = Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' });
          finish(hostErrorFrom(error, `request on ${socketPath}`));
        }, options.timeoutMs);
        socket.on('connect', () => {
          socket.write(payload);
          if (options.halfClose !== false) socket.end();
        });
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > options.maxResponseBytes) {
            finish(
              new HostError({
                code: 'HOST_PROBE_FAILED',
                summary: `answer on ${socketPath} exceeded ${options.maxResponseBytes} bytes`,
                reason: 'EMSGSIZE',
              }),
            );
            return;
          }
          chunks.push(chunk);
        });
        socket.on('end', () => finish(null, Buffer.concat(chunks)));
        options.signal?.addEventListener('abort', onAbort, { once: true });
        socket.on('error', (error) => finish(hostErrorFrom(error, `request on ${socketPath}`)));
      });
    },
  };
}
