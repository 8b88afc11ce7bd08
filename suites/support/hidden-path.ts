import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Builds a PATH on which some programs do not exist, to run the host suites as a machine without
 * them would: `into` (an empty directory) receives one symlink per program found on `searchPath`,
 * the first of each name as a PATH lookup would pick it, except the `hidden` names. Returns the new
 * PATH (just `into`) and what was hidden where.
 */
export async function buildPathWithout(hidden: readonly string[], searchPath: string, into: string): Promise<{ path: string; hiddenFrom: string[] }> {
  const skip = new Set(hidden);
  const linked = new Set<string>();
  const hiddenFrom: string[] = [];
  for (const dir of searchPath.split(':')) {
    if (!dir || !path.isAbsolute(dir)) continue; // a relative PATH entry depends on the cwd: never linked
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      continue; // a PATH entry that does not exist
    }
    for (const name of names.sort()) {
      const full = path.join(dir, name);
      if (skip.has(name)) {
        hiddenFrom.push(full);
        continue;
      }
      if (linked.has(name) || !(await isExecutableFile(full))) continue;
      await fs.symlink(full, path.join(into, name));
      linked.add(name);
    }
  }
  return { path: into, hiddenFrom };
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stats = await fs.stat(file);
    return stats.isFile() && (stats.mode & 0o111) !== 0;
  } catch {
    return false; // a dangling symlink
  }
}
