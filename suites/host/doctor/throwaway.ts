/**
 * Throwaway users, groups and directories for the doctor's host suite: unique names, and a
 * cleanup that removes exactly what was created (run it in afterEach, even after a failure).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { createRealHost } from '../../../lib/host/real-host.ts';
import type { Host } from '../../../lib/host/types.ts';

/** A user created for one test. */
export interface ThrowawayUser {
  name: string;
  uid: number;
  gid: number;
}

/** Collects what a test created and removes it, newest first. */
export class Throwaway {
  private readonly undo: Array<() => Promise<void>> = [];
  readonly tag = randomBytes(3).toString('hex');

  /** Creates a system user without a home, a login shell or its own group; `groups` are supplementary. */
  async user(prefix: string, groups: string[] = []): Promise<ThrowawayUser> {
    const name = `${prefix}${this.tag}`;
    const extra = groups.length > 0 ? ['-G', groups.join(',')] : [];
    await execa('useradd', ['--system', '--no-create-home', '--no-user-group', '--shell', '/usr/sbin/nologin', ...extra, name]);
    const uid = Number((await execa('id', ['-u', name])).stdout.trim());
    const gid = Number((await execa('id', ['-g', name])).stdout.trim());
    this.undo.push(async () => {
      await execa('userdel', [name], { reject: false });
      // tsx keeps a per-uid cache in the temp dir when the CLI runs as this user.
      await fs.rm(path.join(os.tmpdir(), `tsx-${uid}`), { recursive: true, force: true });
    });
    return { name, uid, gid };
  }

  /** Creates a system group and returns its gid. */
  async group(prefix: string): Promise<{ name: string; gid: number }> {
    const name = `${prefix}${this.tag}`;
    await execa('groupadd', ['--system', name]);
    this.undo.push(async () => void (await execa('groupdel', [name], { reject: false })));
    const gid = Number((await execa('getent', ['group', name])).stdout.split(':')[2]);
    return { name, gid };
  }

  /** Creates a temp directory that other users may traverse (0755), removed with its contents. */
  async directory(): Promise<string> {
    const made = await dir({ unsafeCleanup: true });
    await fs.chmod(made.path, 0o755);
    this.undo.push(() => made.cleanup());
    return made.path;
  }

  /** Registers any other cleanup. */
  defer(step: () => Promise<void>): void {
    this.undo.push(step);
  }

  /** Removes everything created, newest first; every step runs even if one fails. */
  async cleanup(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.undo.splice(0).reverse()) await step().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw new AggregateError(errors, 'throwaway cleanup failed');
  }
}

/** Returns a real host whose runtime user is `user`, as `sudo` would set it (SUDO_UID/SUDO_GID). */
export function hostAsSudoUser(user: ThrowawayUser): Host {
  return createRealHost({ ...process.env, SUDO_UID: String(user.uid), SUDO_GID: String(user.gid), SUDO_USER: user.name });
}

/** True when the user or group still exists (for the leave-nothing-behind assertions). */
export async function existsInDatabase(database: 'passwd' | 'group', name: string): Promise<boolean> {
  return (await execa('getent', [database, name], { reject: false })).exitCode === 0;
}
