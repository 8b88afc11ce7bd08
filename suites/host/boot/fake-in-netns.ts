import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { FAKE_FIRECRACKER_BIN } from '../../../fixtures/fake-firecracker/index.ts';

/**
 * The `firecracker` the net-boot host test hands to the boot pipeline: a small sh script that
 * runs FakeFirecracker inside the lab's network namespace with FAKE_FIRECRACKER_OPEN_TAP=1, so its
 * PUT /network-interfaces opens the TAP netd made there. The pipeline's arguments pass through
 * "$@"; everything else in the scripts is a constant of the test, single-quoted.
 */

/** Who the fake runs as when it must not be root. */
export interface FakeUser {
  uid: number;
  gid: number;
}

/** Quotes one word for sh: inside single quotes nothing is special except the quote itself. */
function shellWord(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

async function writeScript(file: string, lines: string[]): Promise<string> {
  const temp = `${file}.tmp`;
  await fs.writeFile(temp, `${lines.join('\n')}\n`, { mode: 0o755 });
  await fs.rename(temp, file);
  return file;
}

/**
 * Writes `<dir>/firecracker` and returns its path. As root: `ip netns exec NS node <fake> "$@"`.
 * With `runAs`, the fake runs unprivileged (setpriv, no supplementary groups): /dev/net/tun on
 * this host is root's 0600, so a character device 10:200 owned by that user is made in `dir` and
 * bind-mounted over /dev/net/tun inside the namespace's own mount namespace (`ip netns exec`
 * makes one, a slave of the host's, so the host never sees it) — what the jailer's mknod of
 * /dev/net/tun in its chroot does for a real Firecracker.
 */
export async function writeFakeWrapper(dir: string, netns: string, runAs?: FakeUser): Promise<string> {
  const fake = [shellWord(process.execPath), shellWord(FAKE_FIRECRACKER_BIN), '"$@"'].join(' ');
  const header = ['#!/bin/sh', `# FakeFirecracker in network namespace ${netns}, opening its TAP for real (net-boot host test).`, 'export FAKE_FIRECRACKER_OPEN_TAP=1'];
  if (!runAs) return writeScript(path.join(dir, 'firecracker'), [...header, `exec ip netns exec ${shellWord(netns)} ${fake}`]);

  const tunNode = path.join(dir, 'net-tun');
  await execa('mknod', ['--mode=0600', tunNode, 'c', '10', '200']);
  await fs.chown(tunNode, runAs.uid, runAs.gid);
  const inner = await writeScript(path.join(dir, 'fake-as-user'), [
    '#!/bin/sh',
    '# Runs inside the namespace: its own /dev/net/tun, then the fake as the unprivileged user.',
    'set -e',
    `mount --bind ${shellWord(tunNode)} /dev/net/tun`,
    `exec setpriv --reuid=${runAs.uid} --regid=${runAs.gid} --clear-groups ${fake}`,
  ]);
  return writeScript(path.join(dir, 'firecracker'), [...header, `exec ip netns exec ${shellWord(netns)} ${shellWord(inner)} "$@"`]);
}
