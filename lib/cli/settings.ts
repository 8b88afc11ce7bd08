import { loadConfig, type LoadedConfig } from '../config/index.ts';
import type { Host } from '../host/types.ts';
import type { CliIo } from './io.ts';

/**
 * Loads the settings for a command (environment, then the env file from --dotenv, OCTOLAB_ENV_FILE
 * or backend/.env.local) and prints each warning (a skipped env-file line, a likely typo) on
 * stderr as one line, so a bad line never hides the rest of the file.
 */
export async function loadSettings(io: CliIo, command: string, host: Pick<Host, 'fs'>, dotenv: string | undefined): Promise<LoadedConfig> {
  const loaded = await loadConfig({ env: io.env, fs: host.fs, cwd: io.cwd, envFile: dotenv });
  for (const warning of loaded.warnings) io.stderr.write(`octolab-verify ${command}: warning: ${warning}\n`);
  return loaded;
}
