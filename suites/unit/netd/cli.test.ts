import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { command } from '../../../lib/cli/commands/netd.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { UsageError } from '../../../lib/errors.ts';
import { renderAlloc, renderDiag, renderList, renderRelease } from '../../../lib/netd/render.ts';

function io(): CliIo {
  return { argv: [], env: {}, stdout: new PassThrough(), stderr: new PassThrough(), cwd: '/nonexistent' };
}

describe('octolab-verify netd arguments', () => {
  it.each<[string, string[], RegExp]>([
    ['no subcommand', [], /needs a subcommand/],
    ['an unknown subcommand', ['frob'], /unknown netd subcommand "frob"/],
    ...['constructor', 'toString', '__proto__', 'hasOwnProperty'].map((name) => [`the Object.prototype name ${name}`, [name, '--json'], new RegExp(`unknown netd subcommand "${name}"`)] as [string, string[], RegExp]),
    ['a timeout in hex', ['ping', '--socket', '/x.sock', '--timeout', '0x10'], /--timeout must be a number of seconds .*got "0x10"/],
    ['a timeout longer than a timer keeps', ['ping', '--socket', '/x.sock', '--timeout', '3000000'], /from 0.001 to 2147483 .*got "3000000"/],
    ['a request timeout that rounds to 0 ms', ['serve', '--socket', '/x.sock', '--group', 'g', '--request-timeout', '0.0001'], /--request-timeout must be a number of seconds from 0.001/],
    ['alloc without a lab id', ['alloc', '--socket', '/x.sock'], /netd alloc needs a LAB_ID/],
    ['ping with an extra argument', ['ping', 'extra', '--socket', '/x.sock'], /unexpected argument "extra"/],
    ['a serve option on a client call', ['ping', '--group', 'g', '--socket', '/x.sock'], /--group only apply to netd serve/],
    ['serve with an argument', ['serve', 'now', '--socket', '/x.sock', '--group', 'g'], /netd serve takes no arguments/],
    ['serve with a non-numeric tap owner', ['serve', '--socket', '/x.sock', '--group', 'g', '--tap-owner', 'nobody'], /--tap-owner must be a numeric uid/],
    ['serve with a namespace name that is a path', ['serve', '--socket', '/x.sock', '--group', 'g', '--netns', '../../proc/1/ns/net'], /--netns must be a network namespace name/],
    ['serve with a zero request timeout', ['serve', '--socket', '/x.sock', '--group', 'g', '--request-timeout', '0'], /--request-timeout must be a number of seconds from 0.001/],
    ['an unknown option', ['ping', '--sockets', '/x.sock'], /unknown option --sockets/],
    ...['0', '4097', '1e2', ' 8', ''].map((value) => [`serve with --max-connections ${JSON.stringify(value)}`, ['serve', '--socket', '/x.sock', '--group', 'g', '--max-connections', value], /--max-connections must be a whole number from 1 to 4096/] as [string, string[], RegExp]),
    ['--max-connections on a client call', ['ping', '--socket', '/x.sock', '--max-connections', '8'], /--max-connections only apply to netd serve/],
  ])('refuses %s with a usage error naming the problem', async (_label, args, message) => {
    const error = await command.run(io(), args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).summary).toMatch(message);
    expect((error as UsageError).hint).toMatch(/see `octolab-verify netd --help`/);
  });
});

describe('netd text renderings', () => {
  const LAB = '12345678-1234-4234-8234-123456789abc';

  it('renders alloc and release as one line each', () => {
    expect(renderAlloc({ lab_id: LAB, bridge: 'obr1234567812', tap: 'otp1234567812', created: false })).toBe(`lab ${LAB}: bridge obr1234567812, tap otp1234567812 (already present)\n`);
    expect(renderRelease({ lab_id: LAB, bridge_deleted: null, tap_deleted: null })).toBe(`lab ${LAB}: nothing to delete\n`);
  });

  it('renders diag with the verdict and who owns each device', () => {
    const text = renderDiag({
      lab_id: LAB,
      healthy: false,
      bridge: { name: 'obr1234567812', exists: true, owner_lab_id: null, owned: false, kind: 'bridge', up: true, state: 'unknown', master: null },
      tap: { name: 'otp1234567812', exists: false, owner_lab_id: null, owned: false, kind: null, up: false, state: null, master: null, owner_uid: null },
    });
    expect(text).toBe(
      [`lab ${LAB}: NOT healthy`, '  bridge obr1234567812: bridge, up (operstate unknown), NOT owned by any lab', '  tap    otp1234567812: absent', ''].join('\n'),
    );
  });

  it('renders a TAP whose owner is not the daemon’s --tap-owner, and what to do about it', () => {
    const link = { exists: true, owner_lab_id: LAB, owned: true, up: true, state: 'down' };
    const text = renderDiag({
      lab_id: LAB,
      healthy: false,
      bridge: { ...link, name: 'obr1234567812', kind: 'bridge', master: null },
      tap: { ...link, name: 'otp1234567812', kind: 'tap', master: 'obr1234567812', owner_uid: 4242, owner_expected: 5555, owner_matches: false },
    });
    expect(text.split('\n')[2]).toBe(
      '  tap    otp1234567812: tap, up (operstate down), owned, master obr1234567812, owner uid 4242, but this daemon gives TAPs ' +
        'to uid 5555 (--tap-owner 5555): the VMM it serves may be refused the TAP. Stop any VM holding it, then alloc the lab again: alloc replaces it',
    );
    const noOwner = renderDiag({
      lab_id: LAB,
      healthy: false,
      bridge: { ...link, name: 'obr1234567812', kind: 'bridge', master: null },
      tap: { ...link, name: 'otp1234567812', kind: 'tap', master: 'obr1234567812', owner_uid: null, owner_expected: 1000, owner_matches: false },
    });
    expect(noOwner).toContain('owned, master obr1234567812, no owner, but this daemon gives TAPs to uid 1000 (--tap-owner 1000)');
  });

  it('renders an empty list and names unowned devices', () => {
    expect(renderList({ labs: [], interfaces: [], count: 0, unowned: ['obr0000000000'] })).toBe(
      'no lab owns devices\nunowned obr/otp devices (no owner record; alloc adopts one only as an interrupted alloc leaves it): obr0000000000\n',
    );
  });
});
