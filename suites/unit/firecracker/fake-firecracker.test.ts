import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDir } from 'tmp-promise';
import { parseRustUsize } from '../../../fixtures/fake-firecracker/fc-args.ts';
import { MAX_HEAD, parseRequest } from '../../../fixtures/fake-firecracker/micro-http.ts';
import { createFirecrackerApi } from '../../../lib/firecracker/api-client.ts';
import { hasResponses, rawExchange, runFake, startFake, type RunningFake } from './fake-process.ts';

const HEAD_204 = 'HTTP/1.1 204 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n\r\n';

describe('FakeFirecracker on the wire (micro_http)', { timeout: 60_000 }, () => {
  let fake: RunningFake;
  beforeAll(async () => {
    fake = await startFake();
  }, 60_000);
  afterAll(async () => {
    await fake?.stop();
  }, 60_000);

  it('answers a PUT with a 204 status line without reason phrase, fixed headers and no body headers', async () => {
    const body = '{"vcpu_count":1,"mem_size_mib":128}';
    const answer = await rawExchange(fake.socket, `PUT /machine-config HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n${body}`, (r) => hasResponses(r, 1));
    expect(answer).toBe(HEAD_204);
  });

  it('answers a GET with Content-Type and Content-Length after the fixed headers', async () => {
    const answer = await rawExchange(fake.socket, 'GET /version HTTP/1.1\r\n\r\n', (r) => hasResponses(r, 1));
    expect(answer).toBe('HTTP/1.1 200 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: 31\r\n\r\n{"firecracker_version":"1.7.0"}');
  });

  it('answers pipelined requests on one keep-alive connection in order', async () => {
    const answer = await rawExchange(fake.socket, 'GET /version HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n', (r) => hasResponses(r, 2));
    expect(answer.indexOf('firecracker_version')).toBeLessThan(answer.indexOf('"state"'));
  });

  it('rejects a method it does not know with micro_http’s own (not JSON) error body', async () => {
    const answer = await rawExchange(fake.socket, 'POST /actions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}', (r) => hasResponses(r, 1));
    expect(answer).toMatch(/^HTTP\/1\.1 400 \r\n/);
    expect(answer.endsWith('{ "error": "Invalid HTTP Method: Unsupported HTTP method.\nAll previous unanswered requests will be dropped." }')).toBe(true);
  });

  it('reads a chunked PUT as a PUT without body: "Empty PUT request."', async () => {
    const answer = await rawExchange(fake.socket, 'PUT /actions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n', (r) => hasResponses(r, 1));
    expect(answer.endsWith('{"fault_message":"Empty PUT request."}')).toBe(true);
  });

  it('refuses a payload over the 51200-byte default before reading it', async () => {
    const answer = await rawExchange(fake.socket, 'PUT /logger HTTP/1.1\r\nContent-Length: 51201\r\n\r\n', (r) => hasResponses(r, 1));
    expect(answer).toContain('Request payload with size 51201 is larger than the limit of 51200 allowed by server.');
  });

  // Regression: only the first line's length was checked before the blank line, so endless header
  // lines grew the connection's buffer (re-joined on every chunk) without limit.
  it('answers endless header lines with micro_http’s 400 once the head passes 16 KiB', async () => {
    const flood = `PUT /machine-config HTTP/1.1\r\n${'X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(1000)}`;
    const answer = await rawExchange(fake.socket, flood, (r) => hasResponses(r, 1));
    expect(answer).toMatch(/^HTTP\/1\.1 400 \r\n/);
    expect(answer).toContain('{ "error": "Invalid header. Reason: Request head longer than 16384 bytes (a FakeFirecracker limit).\nAll previous');
  });

  it('sends an interim 100 for Expect: 100-continue, then the answer', async () => {
    const answer = await rawExchange(fake.socket, 'PUT /machine-config HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 36\r\n\r\n', (r) => r.includes('100 '));
    expect(answer).toMatch(/^HTTP\/1\.1 100 \r\n/);
  });
});

describe('FakeFirecracker’s request head limit', () => {
  /** A GET head of exactly `size` bytes, blank line included, in header lines of at most 1000 bytes. */
  const headOf = (size: number) => {
    let head = 'GET / HTTP/1.1\r\n';
    while (head.length + 2 < size) head += `X-Pad: ${'a'.repeat(Math.min(1000, size - 2 - head.length) - 9)}\r\n`;
    return `${head}\r\n`;
  };
  /** The verdict the server reaches when the bytes arrive cut at `cuts` (it re-parses after each piece). */
  const verdict = (bytes: Buffer, cuts: number[]) => {
    for (const end of [...cuts, bytes.length]) {
      const parsed = parseRequest(bytes.subarray(0, end), 51200, () => undefined);
      if (parsed.kind !== 'need-more') return parsed.kind;
    }
    return 'need-more';
  };

  it.each([
    [MAX_HEAD, 'request'],
    [MAX_HEAD + 1, 'error'],
  ])('judges a %d-byte head the same however it is cut: %s', (size, kind) => {
    const bytes = Buffer.from(headOf(size));
    expect(bytes.length).toBe(size);
    for (const cuts of [[], [size - 1], [size - 2], [1024, 8192, size - 3]]) expect(verdict(bytes, cuts)).toBe(kind);
  });

  it('refuses an unfinished head as soon as it reaches the limit, without waiting for the blank line', () => {
    const parsed = parseRequest(Buffer.from(headOf(MAX_HEAD + 200).slice(0, MAX_HEAD)), 51200, () => undefined);
    expect(parsed).toEqual({ kind: 'error', reason: `Invalid header. Reason: Request head longer than ${MAX_HEAD} bytes (a FakeFirecracker limit).` });
  });

  it('still answers a bad request line or header line with micro_http’s own reason first', () => {
    expect(parseRequest(Buffer.from(`POST / HTTP/1.1\r\n${headOf(MAX_HEAD + 10).slice(16)}`), 51200, () => undefined)).toMatchObject({ reason: 'Invalid HTTP Method: Unsupported HTTP method.' });
  });
});

describe('FakeFirecracker’s command line (v1.7.0)', { timeout: 60_000 }, () => {
  it('prints the version, then the exit log line, and exits 0', async () => {
    const run = await runFake(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Firecracker v1\.7\.0\n\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9} \[anonymous-instance:main\] Firecracker exiting successfully\. exit_code=0\n$/);
  });

  it('prints the help in byte order with defaults, and --help wins over a bad argument', async () => {
    const run = await runFake(['--bogus', '--help']);
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\n').filter((line) => line.startsWith('  --'));
    expect(rows).toHaveLength(23);
    expect(rows[0]).toBe('  --api-sock <api-sock>                                     Path to unix domain socket used by the API. [default: "/run/firecracker.socket"]');
    expect(rows.map((r) => r.trim().split(' ')[0])).toEqual([...rows.map((r) => r.trim().split(' ')[0])].sort());
    expect(run.stdout).toContain('  --http-api-max-payload-size <http-api-max-payload-size>   Http API request payload max size, in bytes. [default: "51200"]');
  });

  it.each([
    [['--foo'], "Found argument 'foo' which wasn't expected, or isn't valid in this context.", 'UnexpectedArgument("foo")'],
    [['--toString'], "Found argument 'toString' which wasn't expected, or isn't valid in this context.", 'UnexpectedArgument("toString")'],
    [['--api-sock=/x'], "Found argument 'api-sock=/x' which wasn't expected, or isn't valid in this context.", 'UnexpectedArgument("api-sock=/x")'],
    [['--api-sock'], "The argument 'api-sock' requires a value, but none was supplied.", 'MissingValue("api-sock")'],
    [['--id', '--boot-timer'], "The argument 'id' requires a value, but none was supplied.", 'MissingValue("id")'],
    [['--boot-timer', '--boot-timer'], "The argument 'boot-timer' was provided more than once.", 'DuplicateArgument("boot-timer")'],
    [['--no-api'], "Argument 'config-file' required, but not found.", 'MissingArgument("config-file")'],
  ])('exits 153 on %j with "%s"', async (args, message, debug) => {
    const run = await runFake(args);
    expect(run.code).toBe(153);
    expect(run.stdout).toContain(`Arguments parsing error: ${message}`);
    expect(run.stdout).toMatch(/Firecracker exiting with error\. exit_code=153\n$/);
    expect(run.stderr).toBe(`Error: ParseArguments(${debug})\n`);
  });

  it('ignores everything after a bare -- except its own switches, and names an unknown switch', async () => {
    const run = await runFake(['--version', '--', '--fake-mode', 'not-a-mode']);
    expect(run.code).toBe(0);
    const bad = await runFake(['--api-sock', '/nonexistent/x.sock', '--', '--fake-mode', 'not-a-mode']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown mode "not-a-mode"/);
  });

  it('refuses an existing socket path as Firecracker does: exit 1, the log text, and the Debug error on stderr', async () => {
    await withDir(
      async ({ path: dir }) => {
        const socket = path.join(dir, 'taken.sock');
        await fs.writeFile(socket, 'stale');
        const run = await runFake(['--api-sock', socket]);
        expect(run.code).toBe(1);
        expect(run.stdout).toContain(`RunWithApiError error: Failed to open the API socket at: ${socket}. Check that it is not already used.`);
        expect(run.stderr).toBe(`Error: RunWithApi(FailedToBindSocket("${socket}"))\n`);
        expect(await fs.readFile(socket, 'utf8')).toBe('stale');
      },
      { unsafeCleanup: true },
    );
  });

  it('exits 152 on an invalid --level', async () => {
    const run = await runFake(['--level', 'loud', '--api-sock', '/nonexistent/x.sock']);
    expect(run.code).toBe(152);
  });

  it('aborts (SIGABRT) on an invalid --id, as the real binary panics', async () => {
    await withDir(async ({ path: dir }) => expect((await runFake(['--id', 'lab_1'], { cwd: dir })).signal).toBe('SIGABRT'), { unsafeCleanup: true });
  });

  // Regression: Number() read '' as 0 and took 0x10 and 1e3; main.rs parses a usize and panics.
  it.each([
    ['', 'Empty'],
    ['0x10', 'InvalidDigit'],
    ['1e3', 'InvalidDigit'],
  ])('aborts (SIGABRT) on --http-api-max-payload-size %j, as the real binary panics parsing a usize', async (value, kind) => {
    await withDir(
      async ({ path: dir }) => {
        const socket = path.join(dir, 'api.sock');
        const run = await runFake(['--api-sock', socket, '--http-api-max-payload-size', value], { cwd: dir });
        expect(run.signal).toBe('SIGABRT');
        expect(run.stdout).toContain(`Firecracker panicked at src/firecracker/src/main.rs: 'http-api-max-payload-size' parameter expected to be of 'usize' type.: ParseIntError { kind: ${kind} }`);
        await expect(fs.lstat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
      },
      { unsafeCleanup: true },
    );
  });

  it.each([
    ['51200', { value: 51200 }],
    ['+7', { value: 7 }],
    ['007', { value: 7 }],
    ['18446744073709551615', { value: 2 ** 64 }],
    ['', { error: 'Empty' }],
    ['+', { error: 'InvalidDigit' }],
    ['-1', { error: 'InvalidDigit' }],
    [' 1', { error: 'InvalidDigit' }],
    ['1.0', { error: 'InvalidDigit' }],
    ['18446744073709551616', { error: 'PosOverflow' }],
    ['99999999999999999999x', { error: 'PosOverflow' }],
    ['1x99999999999999999999', { error: 'InvalidDigit' }],
  ])('parses %j as Rust’s usize::from_str does', (text, expected) => {
    expect(parseRustUsize(text)).toEqual(expected);
  });

  it('enforces a valid --http-api-max-payload-size', async () => {
    const fake = await startFake(['--http-api-max-payload-size', '100']);
    try {
      const answer = await rawExchange(fake.socket, 'PUT /logger HTTP/1.1\r\nContent-Length: 101\r\n\r\n', (r) => hasResponses(r, 1));
      expect(answer).toContain('Request payload with size 101 is larger than the limit of 100 allowed by server.');
    } finally {
      await fake.stop();
    }
  });

  it('exits 148 before creating the socket in crash-at-start mode', async () => {
    await withDir(
      async ({ path: dir }) => {
        const socket = path.join(dir, 'api.sock');
        const run = await runFake(['--api-sock', socket], { env: { FAKE_FIRECRACKER_MODE: 'crash-at-start' } });
        expect(run.code).toBe(148);
        await expect(fs.lstat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
      },
      { unsafeCleanup: true },
    );
  });

  it('leaves its socket file behind when it exits after a guest reboot, as Firecracker does', async () => {
    const fake = await startFake();
    const api = createFirecrackerApi({ socketPath: fake.socket });
    try {
      await api.putBootSource({ kernel_image_path: fake.images.kernel, boot_args: 'console=ttyS0 reboot=k panic=1 pci=off' });
      await api.putDrive({ drive_id: 'rootfs', path_on_host: fake.images.rootfs, is_root_device: true });
      await api.action('InstanceStart');
      expect(await fake.exited).toEqual({ code: 0, signal: null });
      expect((await fs.lstat(fake.socket)).isSocket()).toBe(true);
    } finally {
      await api.close();
      await fake.stop();
    }
  });
});
