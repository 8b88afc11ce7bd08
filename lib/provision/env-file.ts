import path from 'node:path';
import { SetupError } from './errors.ts';
import type { BlockEdit, FoundBlock } from './env-block.ts';
import type { InstallFs } from './ports.ts';

/** What happened to the env file. */
export interface EnvFileUpdate {
  /** The file actually written (a symlink is followed to its target). */
  path: string;
  status: 'created' | 'updated' | 'unchanged' | 'missing';
  removed: FoundBlock[];
}

/** Options of updateEnvFile. */
export interface EnvFileOptions {
  /** Create the file (mode 0600) when it does not exist; otherwise report `missing` and write nothing. */
  create: boolean;
  /** Owner of a newly created file (the invoking user under sudo). */
  owner?: { uid: number; gid: number };
}

/**
 * Applies `edit` to the env file and writes the result atomically (temp file + rename) with the
 * file's own mode and owner kept; a new file gets mode 0600. Writes nothing when the text does not
 * change. A symlinked env file is followed, so the link stays a link.
 */
export async function updateEnvFile(fs: InstallFs, file: string, edit: (text: string, file: string) => BlockEdit, options: EnvFileOptions): Promise<EnvFileUpdate> {
  const target = await resolveTarget(fs, file);
  const info = await fs.lstat(target);
  if (info && info.kind !== 'file') {
    throw new SetupError({ code: 'ENV_FILE_NOT_A_FILE', summary: `${target} is a ${info.kind}, not an env file`, hint: 'Pass the path of backend/.env.local with --env-file.' });
  }
  const text = info ? ((await fs.readText(target)) ?? '') : null;
  if (text === null && !options.create) return { path: target, status: 'missing', removed: [] };
  if (text === null) {
    const parent = await fs.lstat(path.dirname(target));
    if (parent?.kind !== 'directory') {
      throw new SetupError({
        code: 'ENV_FILE_DIR_MISSING',
        summary: `cannot create ${target}: the directory ${path.dirname(target)} does not exist`,
        hint: 'Run from the OctoLab repository root (where backend/ is), or pass --env-file PATH.',
      });
    }
  }
  const result = edit(text ?? '', target);
  if (text !== null && !result.changed) return { path: target, status: 'unchanged', removed: result.removed };
  const owner = info ? { uid: info.uid, gid: info.gid } : options.owner;
  await fs.writeFileAtomic(target, result.text, { mode: info ? info.mode : 0o600, ...owner });
  return { path: target, status: text === null ? 'created' : 'updated', removed: result.removed };
}

async function resolveTarget(fs: InstallFs, file: string): Promise<string> {
  const info = await fs.lstat(file);
  if (info?.kind !== 'symlink') return path.resolve(file);
  try {
    return await fs.realpath(file);
  } catch {
    throw new SetupError({ code: 'ENV_FILE_DANGLING', summary: `${file} is a symlink to a file that does not exist`, hint: 'Fix or remove the symlink, then run again.' });
  }
}
