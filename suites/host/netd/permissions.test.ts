import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { requireRoot, requireTools } from '../../support/require.ts';
import { labLinksIn, NamespaceRig, readLinks, startDaemon } from './support.ts';

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

const rig = new NamespaceRig();
afterEach(() => rig.finish());

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
    const { netns, dir } = await rig.open(ctx);
    const tag = randomBytes(3).toString('hex');
    const group = `ovtg${tag}`;
    await execa('groupadd', ['--system', group]);
    rig.onFinish(async () => {
      await execa('groupdel', [group], { reject: false });
      expect((await execa('getent', ['group', group], { reject: false })).exitCode).toBe(2);
    });
    const member = `ovtm${tag}`;
    const outsider = `ovto${tag}`;
    for (const [user, extra] of [[member, ['-G', group]], [outsider, []]] as const) {
      await execa('useradd', ['--system', '--no-create-home', '--no-user-group', '--shell', '/usr/sbin/nologin', ...extra, user]);
      rig.onFinish(async () => {
        await execa('userdel', [user], { reject: false });
        expect((await execa('getent', ['passwd', user], { reject: false })).exitCode).toBe(2);
      });
    }
    await fs.chmod(dir, 0o711); // others may traverse to the run directory, not list it
    const socketPath = path.join(dir, 'run', 'microvm-netd.sock');
    const memberUid = await uidOf(member);
    const { daemon, client } = await startDaemon({ netns, socketPath, group, tapOwner: memberUid });
    rig.onFinish(() => daemon.stop());

    const gid = Number((await execa('getent', ['group', group])).stdout.split(':')[2]);
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
    await client.alloc('12345678-1234-4234-8234-123456789abc');
    const tap = (await readLinks(netns)).find((link) => link.ifname === 'otp1234567812');
    expect(tap?.linkinfo?.info_data?.user).toBe(member);
    await expect(client.diag('12345678-1234-4234-8234-123456789abc')).resolves.toMatchObject({ tap: { owner_uid: memberUid } });
    await client.release('12345678-1234-4234-8234-123456789abc');
    expect(await labLinksIn(netns)).toEqual([]);
  });
});
