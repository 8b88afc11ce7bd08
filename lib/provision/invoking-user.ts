/** The user who ran `sudo octolab-verify …`, from SUDO_UID/SUDO_GID; null when not under sudo as root. */
export function invokingOwner(env: Readonly<Record<string, string | undefined>>, euid: number): { uid: number; gid: number } | null {
  const uid = env.SUDO_UID;
  const gid = env.SUDO_GID;
  if (euid !== 0 || !uid || !/^\d+$/.test(uid) || uid === '0') return null;
  return { uid: Number(uid), gid: gid && /^\d+$/.test(gid) ? Number(gid) : Number(uid) };
}
