import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, describe, expect, it } from 'vitest';
import { requireRoot, requireTools } from '../../support/require.ts';
import { createNetns, deleteNetns, labLinksIn, netnsExists, readLinks, startDaemon, type InProcessDaemon } from './support.ts';

/** Connects as another user, sends ping, prints `OK <reply>` or `ERR <errno>`; run by `runuser` with the socket path as argument. */
const PROBE = `
const net = require('node:net');
const socket = net.createConnection(process.argv[1]);
let text = '';
socket.on('connect', () => socket.end('{"op":"ping"}'));
socket.on('data', (chunk) => (text += chunk));
socket.on('end', () => console.log('OK ' + text));
socket.on('error', (error) => console.log('ERR ' + error.code));
`;

const made: { users: string[]; group: string | null; netns: string | null; tmp: DirectoryResult | null; daemon: InProcessDaemon | null; rootLinks: string[] } = {
  users: [],
  group: null,
  netns: null,
  tmp: null,
  daemon: null,
  rootLinks: [],
};

afterEach(async () => {
  await made.daemon?.daemon.stop();
  made.daemon = null;
  for (const user of made.users.splice(0)) await execa('userdel', [user], { reject: false });
  if (made.group) await execa('groupdel', [made.group], { reject: false });
  made.group = null;
  if (made.netns) {
    await deleteNetns(made.netns);
    expect(await netnsExists(made.netns)).toBe(false);
    made.netns = null;
  }
  await made.tmp?.cleanup();
  made.tmp = null;
  expect(await labLinksIn(null)).toEqual(made.rootLinks);
});

async function probeAs(user: string, socketPath: string): Promise<string> {
  const { stdout } = await execa('runuser', ['-u', user, '--', process.execPath, '-e', PROBE, socketPath]);
  return stdout.trim();
}

async function uidOf(user: string): Promise<number> {
  return Number((await execa('id', ['-u', user])).stdout.trim());
}

describe('netd socket permissions', () => {
  it('makes the socket root:<group> 0660 in a 0750 run directory: a member may connect, anyone else gets EACCES', { tags: ['root', 'net', 'users'] }, async (ctx) => {
    requireRoot(ctx);
    requireTools(ctx, 'users', ['useradd', 'groupadd', 'userdel', 'groupdel', 'runuser']);
    requireTools(ctx, 'net', ['ip']);
    made.rootLinks = await labLinksIn(null);
    const tag = randomBytes(3).toString('hex');
    made.group = `ovtg${tag}`;
    await execa('groupadd', ['--system', made.group]);
    const member = `ovtm${tag}`;
    const outsider = `ovto${tag}`;
    for (const [user, extra] of [[member, ['-G', made.group]], [outsider, []]] as const) {
      await execa('useradd', ['--system', '--no-create-home', '--no-user-group', '--shell', '/usr/sbin/nologin', ...extra, user]);
      made.users.push(user);
    }
    made.netns = await createNetns();
    made.tmp = await dir({ unsafeCleanup: true });
    await fs.chmod(made.tmp.path, 0o711); // others may traverse to the run directory, not list it
    const socketPath = path.join(made.tmp.path, 'run', 'microvm-netd.sock');
    const memberUid = await uidOf(member);
    made.daemon = await startDaemon({ netns: made.netns, socketPath, group: made.group, tapOwner: memberUid });

    const gid = Number((await execa('getent', ['group', made.group])).stdout.split(':')[2]);
    const socket = await fs.lstat(socketPath);
    expect({ uid: socket.uid, gid: socket.gid, mode: socket.mode & 0o7777 }).toEqual({ uid: 0, gid, mode: 0o660 });
    const runDir = await fs.stat(path.dirname(socketPath));
    expect({ uid: runDir.uid, gid: runDir.gid, mode: runDir.mode & 0o7777 }).toEqual({ uid: 0, gid, mode: 0o750 });

    expect(await probeAs(member, socketPath)).toMatch(/^OK \{"ok":true,"result":\{"status":"ok"/);
    expect(await probeAs(outsider, socketPath)).toBe('ERR EACCES');
    // With a traversable directory it is the socket's own 0660 that keeps the outsider out.
    await fs.chmod(path.dirname(socketPath), 0o755);
    expect(await probeAs(outsider, socketPath)).toBe('ERR EACCES');
    expect(await probeAs(member, socketPath)).toMatch(/^OK /);

    // The TAP belongs to the member, so an unprivileged Firecracker running as it could open it.
    await made.daemon.client.alloc('12345678-1234-4234-8234-123456789abc');
    const tap = (await readLinks(made.netns)).find((link) => link.ifname === 'otp1234567812');
    expect(tap?.linkinfo?.info_data?.user).toBe(member);
    await expect(made.daemon.client.diag('12345678-1234-4234-8234-123456789abc')).resolves.toMatchObject({ tap: { owner_uid: memberUid } });
    await made.daemon.client.release('12345678-1234-4234-8234-123456789abc');
    expect(await labLinksIn(made.netns)).toEqual([]);
  });
});
