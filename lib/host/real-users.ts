import { userInfo } from 'node:os';
import type { GroupEntry, HostProcesses, HostUsers, Identity } from './types.ts';

const LOOKUP_TIMEOUT_MS = 3000;

/** Parses one `name:x:gid:member,member` line of the group database. */
export function parseGroupLine(line: string): GroupEntry | null {
  const [name, , gid, members] = line.trim().split(':');
  if (!name || gid === undefined || !/^\d+$/.test(gid)) return null;
  return { name, gid: Number(gid), members: members ? members.split(',').filter(Boolean) : [] };
}

/** The real user database, read through getent/id (so NSS sources count) with argument arrays. */
export function createRealUsers(proc: HostProcesses, env: Readonly<Record<string, string | undefined>>): HostUsers {
  async function getent(database: string, key: string): Promise<string | null> {
    const result = await proc.run('getent', [database, key], { timeoutMs: LOOKUP_TIMEOUT_MS });
    return result.exitCode === 0 ? result.stdout.trim().split('\n')[0] ?? null : null;
  }
  const users: HostUsers = {
    effectiveUid: () => process.geteuid?.() ?? -1,
    async group(name) {
      const line = await getent('group', name);
      return line ? parseGroupLine(line) : null;
    },
    async groupById(gid) {
      const line = await getent('group', String(gid));
      return line ? parseGroupLine(line) : null;
    },
    async userName(uid) {
      // This process's own user: getpwuid_r through NSS in-process, as getent would, without a
      // process (the doctor asks on every run; a spawn costs it ~15 ms).
      if (uid === process.geteuid?.()) {
        try {
          return userInfo().username;
        } catch {
          // No passwd entry for our uid (a container's arbitrary uid): getent says the same below.
        }
      }
      const line = await getent('passwd', String(uid));
      return line?.split(':')[0] ?? null;
    },
    async runtimeIdentity(): Promise<Identity> {
      const sudoUid = env.SUDO_UID;
      if (users.effectiveUid() === 0 && sudoUid && /^\d+$/.test(sudoUid) && sudoUid !== '0') {
        const uid = Number(sudoUid);
        const name = (await users.userName(uid)) ?? env.SUDO_USER ?? String(uid);
        const gid = env.SUDO_GID && /^\d+$/.test(env.SUDO_GID) ? Number(env.SUDO_GID) : uid;
        const idResult = await proc.run('id', ['-G', name], { timeoutMs: LOOKUP_TIMEOUT_MS });
        const groups = idResult.exitCode === 0 ? idResult.stdout.trim().split(/\s+/).map(Number) : [];
        return { uid, gid, groups: [...new Set([gid, ...groups])], name, viaSudo: true };
      }
      const uid = process.geteuid?.() ?? -1;
      const gid = process.getegid?.() ?? -1;
      const groups = process.getgroups?.() ?? [];
      const name = (await users.userName(uid)) ?? env.USER ?? String(uid);
      return { uid, gid, groups: [...new Set([gid, ...groups])], name, viaSudo: false };
    },
  };
  return users;
}
