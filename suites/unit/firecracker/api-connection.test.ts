import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { MAX_BODY, MAX_HEAD, openApiConnection } from '../../../lib/host/vmm/api-connection.ts';

// The API connection against a scripted server on a real unix socket: each request it receives is
// answered by the next script entry, whose bytes are written in the pieces given (an answer cut at
// awkward places), or by closing the connection. The connection must read every answer micro_http
// can send, refuse what it cannot read, and never reuse a connection that got out of step.

type Reply = Array<string | Buffer | typeof END | Promise<unknown>> | 'close' | 'never';
/** In a reply's pieces: end the connection here (after what was written before). */
const END = Symbol('end');

/** Runs `body` against a server answering requests with `replies` in order; counts connections and requests. */
/** What the server saw; `events` emits 'request' on each request and 'close' when a connection of the client's ends. */
interface Seen {
  connections: number;
  requests: string[];
  events: EventEmitter;
}

async function withServer(replies: Reply[], body: (socket: string, seen: Seen) => Promise<void>): Promise<void> {
  await withDir(
    async ({ path: dir }) => {
      const socket = path.join(dir, 'api.sock');
      const seen: Seen = { connections: 0, requests: [], events: new EventEmitter() };
      const open = new Set<net.Socket>();
      const server = net.createServer((connection) => {
        seen.connections++;
        open.add(connection);
        connection.on('close', () => {
          open.delete(connection);
          seen.events.emit('close');
        });
        let pending = '';
        connection.on('data', async (chunk) => {
          pending += chunk.toString('latin1');
          for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
            const length = Number(/content-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
            if (pending.length < end + 4 + length) return;
            seen.requests.push(pending.slice(0, end + 4 + length));
            seen.events.emit('request');
            pending = pending.slice(end + 4 + length);
            const reply = replies.shift() ?? 'never';
            if (reply === 'close') connection.destroy();
            else if (reply !== 'never') {
              for (const piece of reply) {
                if (piece instanceof Promise) await piece; // wait for the test to say when
                else await new Promise<void>((resolve) => (piece === END ? connection.end(resolve) : connection.write(piece, () => resolve())));
              }
            }
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      try {
        await body(socket, seen);
      } finally {
        for (const connection of open) connection.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    },
    { unsafeCleanup: true },
  );
}

const NO_CONTENT = 'HTTP/1.1 204 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n\r\n';
const json = (status: number, body: string) => `HTTP/1.1 ${status} \r\nServer: Firecracker API\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const never = () => new AbortController().signal;
/** A 200 answer's head with `extra` header lines, up to and including the blank line. */
const head = (extra: string) => `HTTP/1.1 200 \r\nServer: Firecracker API\r\n${extra}\r\n`;

describe('the connection to the Firecracker API socket', () => {
  it('reads answers cut at every byte, keeps one connection for them all, and sends bodies with Content-Length', async () => {
    const body = '{"state":"Not started","id":"lab-ü"}';
    const whole = Buffer.from(json(200, body));
    const bytes = [...whole].map((byte) => Buffer.from([byte]));
    await withServer([bytes, [NO_CONTENT.slice(0, 20), NO_CONTENT.slice(20)]], async (socket, seen) => {
      const connection = openApiConnection(socket);
      try {
        const first = await connection.request('GET', '/', { accept: 'application/json' }, undefined, never());
        expect(first).toEqual({ status: 200, headers: { server: 'Firecracker API', connection: 'keep-alive', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, text: body });
        const put = Buffer.from('{"action_type":"InstanceStart"}');
        expect(await connection.request('PUT', '/actions', { 'content-length': String(put.length) }, put, never())).toMatchObject({ status: 204, text: '' });
      } finally {
        connection.close();
      }
      expect(seen.connections).toBe(1);
      expect(seen.requests[1]).toBe('PUT /actions HTTP/1.1\r\ncontent-length: 31\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n{"action_type":"InstanceStart"}');
    });
  });

  it('skips an interim 100 answer, and reads a body without a length to the end of the connection', async () => {
    await withServer([['HTTP/1.1 100 \r\n\r\n', NO_CONTENT], ['HTTP/1.1 400 \r\nServer: Firecracker API\r\n\r\n{ "error": "bad', '\nrequest" }', END], [NO_CONTENT]], async (socket, seen) => {
      const connection = openApiConnection(socket);
      try {
        expect(await connection.request('PUT', '/a', {}, undefined, never())).toMatchObject({ status: 204, text: '' });
        const untilClosed = connection.request('PUT', '/b', {}, undefined, never());
        // The server ends that answer by closing; the body is what came before the close.
        expect(await untilClosed).toMatchObject({ status: 400, text: '{ "error": "bad\nrequest" }' });
        // A new connection for the next request.
        expect(await connection.request('GET', '/c', {}, undefined, never())).toMatchObject({ status: 204 });
      } finally {
        connection.close();
      }
      expect(seen.connections).toBe(2);
    });
  });

  it.each([
    ['a chunked answer', ['HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'], /Transfer-Encoding chunked, which micro_http never sends/],
    ['no status line', ['SSH-2.0-OpenSSH\r\n\r\n'], /not an HTTP\/1\.1 status line: "SSH-2\.0-OpenSSH"/],
    ['a header without a colon', ['HTTP/1.1 204 \r\nbroken\r\n\r\n'], /malformed header line: "broken"/],
    ['an unusable length', ['HTTP/1.1 200 \r\nContent-Length: -1\r\n\r\n'], /unusable Content-Length: "-1"/],
    ['a head over the bound, even when it ends in one chunk', [head(`X-Pad: ${'a'.repeat(MAX_HEAD)}\r\n`) + '\r\n'], /answer head is longer than 65536 bytes/],
    ['a head over the bound that never ends', [`HTTP/1.1 200 \r\nX-Pad: ${'a'.repeat(MAX_HEAD + 10)}`], /answer head is longer than 65536 bytes/],
    ['a body without a length over the bound', [head(''), Buffer.alloc(MAX_BODY + 1, 0x61)], /answer body is longer than 4194304 bytes/],
    ['a Content-Length over the bound', [head(`Content-Length: ${MAX_BODY + 1}\r\n`)], /unusable Content-Length: "4194305"/],
    ['two Content-Length headers', [head('Content-Length: 1\r\nContent-Length: 2\r\n') + 'a'], /unusable Content-Length: \["1","2"\]/],
    ['a switch of protocols', ['HTTP/1.1 101 \r\nUpgrade: h2c\r\n\r\n'], /status 101, which no Firecracker API call answers/],
    ['a header name with a space', [head('Bad Name: x\r\n')], /malformed header line: "Bad Name: x"/],
  ])('refuses %s with an error (EPROTO) that says what it got, and does not reuse that connection', async (_what, reply, message) => {
    await withServer([reply as Reply, [NO_CONTENT]], async (socket, seen) => {
      const connection = openApiConnection(socket);
      try {
        await expect(connection.request('GET', '/', {}, undefined, never())).rejects.toMatchObject({ code: 'EPROTO', message: expect.stringMatching(message) });
        expect(await connection.request('GET', '/', {}, undefined, never())).toMatchObject({ status: 204 });
      } finally {
        connection.close();
      }
      expect(seen.connections).toBe(2);
    });
  });

  it('rejects when the connection closes before a whole answer, and when nobody listens (with the errno)', async () => {
    await withServer(['close', [NO_CONTENT.slice(0, 10)]], async (socket) => {
      const connection = openApiConnection(socket);
      try {
        await expect(connection.request('GET', '/', {}, undefined, never())).rejects.toMatchObject({ code: 'ECONNRESET', message: 'the API socket closed before a whole answer to GET /' });
      } finally {
        connection.close();
      }
    });
    await withDir(async ({ path: dir }) => {
      await expect(openApiConnection(path.join(dir, 'absent.sock')).request('GET', '/', {}, undefined, never())).rejects.toMatchObject({ code: 'ENOENT' });
    }, { unsafeCleanup: true });
  });

  it('gives up on a request when its signal fires, drops that connection, and answers the next request on a new one', async () => {
    await withServer(['never', [NO_CONTENT]], async (socket, seen) => {
      const connection = openApiConnection(socket);
      try {
        const controller = new AbortController();
        const hanging = connection.request('GET', '/', {}, undefined, controller.signal);
        await new Promise((resolve) => setTimeout(resolve, 20));
        controller.abort(new Error('deadline'));
        await expect(hanging).rejects.toThrow('deadline');
        await expect(connection.request('GET', '/', {}, undefined, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
        expect(await connection.request('GET', '/', {}, undefined, never())).toMatchObject({ status: 204 });
      } finally {
        connection.close();
      }
      expect(seen.connections).toBe(2);
    });
  });

  it('sends requests one at a time, in order, even when they are made at once', async () => {
    await withServer([[json(200, '"a"')], [json(200, '"b"')], [json(200, '"c"')]], async (socket, seen) => {
      const connection = openApiConnection(socket);
      try {
        const answers = await Promise.all(['/a', '/b', '/c'].map((p) => connection.request('GET', p, {}, undefined, never())));
        expect(answers.map((a) => a.text)).toEqual(['"a"', '"b"', '"c"']);
      } finally {
        connection.close();
      }
      expect(seen.requests.map((r) => r.split(' ')[1])).toEqual(['/a', '/b', '/c']);
      expect(seen.connections).toBe(1);
    });
  });
});

describe('the API connection against a hostile or broken peer', () => {
  it('rejects (ECONNRESET) when the peer closes in the middle of a body of known length', async () => {
    await withServer([[head('Content-Length: 100\r\n'), '{"partial":', END]], async (socket) => {
      const connection = openApiConnection(socket);
      try {
        await expect(connection.request('GET', '/vm/config', {}, undefined, never())).rejects.toMatchObject({ code: 'ECONNRESET', message: 'the API socket closed before a whole answer to GET /vm/config' });
      } finally {
        connection.close();
      }
    });
  });

  it('drops a connection on bytes nobody asked for, left over after an answer or arriving while idle', async () => {
    const unasked = 'HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\n{}';
    // Left over: in the same write as the answer.
    await withServer([[NO_CONTENT + unasked], [NO_CONTENT]], async (socket, seen) => {
      const connection = openApiConnection(socket);
      try {
        const closed = once(seen.events, 'close');
        expect(await connection.request('PUT', '/a', {}, undefined, never())).toMatchObject({ status: 204 });
        await closed;
        expect(await connection.request('GET', '/b', {}, undefined, never())).toMatchObject({ status: 204, text: '' });
      } finally {
        connection.close();
      }
      expect(seen.connections).toBe(2);
    });
    // While idle: written only once the client has its answer.
    let answered!: () => void;
    const idle = new Promise<void>((resolve) => (answered = resolve));
    await withServer([[NO_CONTENT, idle, unasked], [NO_CONTENT]], async (socket, seen) => {
      const connection = openApiConnection(socket);
      try {
        const closed = once(seen.events, 'close');
        expect(await connection.request('PUT', '/a', {}, undefined, never())).toMatchObject({ status: 204 });
        answered();
        await closed;
        expect(await connection.request('GET', '/b', {}, undefined, never())).toMatchObject({ status: 204, text: '' });
      } finally {
        connection.close();
      }
      expect(seen.connections).toBe(2);
    });
  });

  it('reads the answer to HEAD as bodiless whatever its Content-Length says', async () => {
    await withServer([[head('Content-Length: 42\r\n')], [NO_CONTENT]], async (socket, seen) => {
      const connection = openApiConnection(socket);
      try {
        expect(await connection.request('HEAD', '/', {}, undefined, never())).toMatchObject({ status: 200, text: '' });
        expect(await connection.request('GET', '/', {}, undefined, never())).toMatchObject({ status: 204 });
      } finally {
        connection.close();
      }
      expect(seen.connections).toBe(1);
    });
  });

  it.each([
    ['a path with a line break', 'GET', '/a\r\nX-Injected: 1', {}, /invalid API path/],
    ['a path with a space', 'GET', '/a b', {}, /invalid API path/],
    ['a method with a space', 'GET /x', '/', {}, /invalid HTTP method/],
    ['a header value with a line break', 'GET', '/', { accept: 'a\r\nX-Injected: 1' }, /invalid request header/],
  ])('refuses %s before sending anything', async (_what, method, route, headers, message) => {
    await withServer([[NO_CONTENT]], async (socket, seen) => {
      const connection = openApiConnection(socket);
      try {
        await expect(connection.request(method, route, headers, undefined, never())).rejects.toThrow(message);
        expect(await connection.request('GET', '/', {}, undefined, never())).toMatchObject({ status: 204 });
      } finally {
        connection.close();
      }
      expect(seen.requests).toHaveLength(1);
      expect(seen.requests[0]).toMatch(/^GET \/ HTTP\/1\.1\r\n/);
    });
  });

  it('ends a request whose signal fires while it waits behind one that hangs', async () => {
    await withServer(['never'], async (socket, seen) => {
      const connection = openApiConnection(socket);
      try {
        const first = new AbortController();
        const received = once(seen.events, 'request');
        const hanging = connection.request('GET', '/first', {}, undefined, first.signal);
        await received;
        const second = new AbortController();
        const waiting = connection.request('GET', '/second', {}, undefined, second.signal);
        second.abort(new Error('second gave up'));
        await expect(waiting).rejects.toThrow('second gave up');
        first.abort(new Error('first gave up'));
        await expect(hanging).rejects.toThrow('first gave up');
      } finally {
        connection.close();
      }
      // The second request never reached the wire.
      expect(seen.requests.map((r) => r.split(' ')[1])).toEqual(['/first']);
    });
  });
});
