import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `netd serve` refuses settings it cannot work with before it touches anything: one line on
// stderr naming the value and the fix, exit 64 for an option, 78 for an OCTOLAB_* variable.
// Spawned through the real launcher (bin/octolab-verify.cjs), in an empty directory, as a user
// would; none of these gets as far as needing root.

const BIN = fileURLToPath(new URL('../../../bin/octolab-verify.cjs', import.meta.url));
let tmp: DirectoryResult;
beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
});
afterAll(() => tmp.cleanup());

async function serve(args: string[], env: Record<string, string> = {}) {
  const result = await execa(process.execPath, [BIN, 'netd', 'serve', ...args], {
    cwd: tmp.path,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', ...env },
    extendEnv: false,
    reject: false,
    timeout: 60_000,
  });
  return { code: result.exitCode, stderr: result.stderr, stdout: result.stdout };
}

const LONG_SOCKET = `/run/octolab/${'a-very-long-directory-name/'.repeat(4)}microvm-netd.sock`;

describe('netd serve settings, through the real launcher', { timeout: 60_000 }, () => {
  it('refuses a --socket over 107 bytes at start, in one line naming the limit and the fix (it used to log "ready" unreachable)', async () => {
    expect(Buffer.byteLength(LONG_SOCKET)).toBeGreaterThan(107);
    const result = await serve(['--socket', LONG_SOCKET, '--group', 'root']);
    expect(result.code).toBe(64);
    expect(result.stderr).toBe(
      `octolab-verify netd: the socket path is ${Buffer.byteLength(LONG_SOCKET)} bytes, over the 107 a unix socket path can hold (clients could not connect): set a shorter --socket, such as /run/octolab/microvm-netd.sock; see \`octolab-verify netd --help\``,
    );
  });

  it('refuses the same path from OCTOLAB_MICROVM_NETD_SOCK as a configuration error (78)', async () => {
    const result = await serve(['--group', 'root'], { OCTOLAB_MICROVM_NETD_SOCK: LONG_SOCKET });
    expect(result.code).toBe(78);
    expect(result.stderr.split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/over the 107 a unix socket path can hold .*set a shorter OCTOLAB_MICROVM_NETD_SOCK \(or pass --socket\)/);
  });

  it.each([
    [['--pool', '10.208.1.0/14'], /pool 10\.208\.1\.0\/14 is not a network address.*did you mean 10\.208\.0\.0\/14\?/],
    [['--pool', 'ten/8'], /pool "ten\/8" is not an IPv4 network such as 10\.208\.0\.0\/14/],
    [['--prefix-len', '31'], /--prefix-len must be a whole number from 8 to 30 \(24: one \/24 per lab\), got "31"/],
    [['--pool', '10.9.0.0/26'], /pool 10\.9\.0\.0\/26 is smaller than one \/24 lab subnet/],
    [['--dns', '8.8.8.888'], /dns "8\.8\.8\.888" is not an IPv4 address such as 8\.8\.8\.8/],
  ])('refuses %j in one line with exit 64', async (args, message) => {
    const result = await serve(['--socket', '/run/ovt-none/netd.sock', ...args]);
    expect(result.code).toBe(64);
    expect(result.stderr.split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/; see `octolab-verify netd --help`$/);
  });

  it('refuses a pool that OCTOLAB_NETD_POOL and OCTOLAB_NETD_PREFIX_LEN make impossible together, as a configuration error', async () => {
    const result = await serve(['--socket', '/run/ovt-none/netd.sock'], { OCTOLAB_NETD_POOL: '10.9.0.0/24', OCTOLAB_NETD_PREFIX_LEN: '20' });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/^octolab-verify netd: pool 10\.9\.0\.0\/24 is smaller than one \/20 lab subnet.*OCTOLAB_NETD_POOL/);
  });
});
