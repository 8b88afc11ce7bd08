import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ReportReader } from '../verify/suite-run.ts';

/**
 * Writes a report file atomically (temp file + rename) and, under sudo, hands it back to the
 * invoking user so that a later unprivileged run can overwrite it.
 */
export async function writeReportFile(filePath: string, content: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  const dir = path.dirname(filePath);
  const created = await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(filePath)}.${process.pid}.tmp`);
  try {
    await fs.writeFile(temp, content, { mode: 0o644 });
    await handBack(temp, env);
    await fs.rename(temp, filePath);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  // Hand back only directories this call created, never an existing one such as /tmp.
  if (created) {
    for (let current = dir; current.startsWith(created); current = path.dirname(current)) {
      await handBack(current, env);
      if (current === created) break;
    }
  }
}

async function handBack(target: string, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  if (process.geteuid?.() !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0) return;
  await fs.chown(target, uid, gid);
}

/** The real ReportReader: reads a report back (null when missing) and removes a stale one. */
export const realReportReader: ReportReader = {
  read: async (filePath) => {
    try {
      return await fs.readFile(filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return null;
    }
  },
  remove: (filePath) => fs.rm(filePath, { force: true }),
};
