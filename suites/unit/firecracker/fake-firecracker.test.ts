import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDir } from 'tmp-promise';
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

  it('sends an interim 100 for Expect: 100-continue, then the answer', async () => {
    const answer = await rawExchange(fake.socket, 'PUT /machine-config HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 36\r\n\r\n', (r) => r.includes('100 '));
    expect(answer).toMatch(/^HTTP\/1\.1 100 \r\n/);
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
