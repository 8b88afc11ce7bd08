import path from 'node:path';
import { ConfigError, errnoOf } from '../errors.ts';
import type { HostFs } from '../host/types.ts';
import { parseEnvFile, type EnvFileEntry } from './env-file.ts';
import { ValueRejected, variables, type Config } from './variables.ts';

/** Where a config value came from, for messages and for `doctor --json`. */
export type ValueSource =
  | { kind: 'env'; name: string }
  | { kind: 'file'; name: string; file: string; line: number }
  | { kind: 'default' };

/** The config plus where each value came from and which env file was read. */
export interface LoadedConfig {
  config: Config;
  sources: Record<keyof Config, ValueSource>;
  envFile: { path: string; found: boolean };
}

/** Inputs to loadConfig. */
export interface LoadConfigOptions {
  env: Readonly<Record<string, string | undefined>>;
  fs: Pick<HostFs, 'readText'>;
  /** Path to backend/.env.local; default OCTOLAB_ENV_FILE, else backend/.env.local under cwd. */
  envFile?: string;
  cwd?: string;
}

/** The default env file, relative to the working directory, as the seed's scripts use it. */
export const DEFAULT_ENV_FILE = 'backend/.env.local';

/**
 * Builds the typed config from the environment and the env file (the environment wins; a main
 * name wins over its legacy names). Every bad value is reported, each with variable, value,
 * where it came from and what is allowed, in one ConfigError.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.envFile ?? options.env.OCTOLAB_ENV_FILE;
  const envFilePath = path.resolve(cwd, explicit ?? DEFAULT_ENV_FILE);
  const fileEntries = await readEnvFile(options.fs, envFilePath, explicit !== undefined);
  const fromFile = new Map<string, EnvFileEntry>();
  for (const entry of fileEntries ?? []) fromFile.set(entry.key, entry);

  const config = {} as Record<string, unknown>;
  const sources = {} as Record<string, ValueSource>;
  const problems: string[] = [];
  for (const [field, spec] of Object.entries(variables)) {
    const found = lookup([spec.name, ...(spec.legacy ?? [])], options.env, fromFile);
    if (!found) {
      config[field] = spec.default;
      sources[field] = { kind: 'default' };
      continue;
    }
    try {
      config[field] = spec.parse(found.value);
      sources[field] = found.source;
    } catch (error) {
      if (!(error instanceof ValueRejected)) throw error;
      problems.push(`${found.source.name}=${JSON.stringify(found.value)} (${describeSource(found.source)}): allowed is ${error.message}`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError({
      code: 'CONFIG_INVALID',
      summary: problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration:\n  ${problems.join('\n  ')}`,
      attempted: `read the environment and ${envFilePath}`,
      hint: 'Fix the value where it is set (the environment wins over the env file), or unset it to use the default.',
    });
  }
  return {
    config: config as Config,
    sources: sources as LoadedConfig['sources'],
    envFile: { path: envFilePath, found: fileEntries !== null },
  };
}

function lookup(
  names: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  file: Map<string, EnvFileEntry>,
): { value: string; source: Exclude<ValueSource, { kind: 'default' }> } | null {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) return { value, source: { kind: 'env', name } };
  }
  for (const name of names) {
    const entry = file.get(name);
    if (entry) return { value: entry.value, source: { kind: 'file', name, file: entry.file, line: entry.line } };
  }
  return null;
}

/** Describes a value's source as "environment" or "file:line". */
export function describeSource(source: ValueSource): string {
  if (source.kind === 'env') return 'from the environment';
  if (source.kind === 'file') return `from ${source.file}:${source.line}`;
  return 'default';
}

async function readEnvFile(fs: Pick<HostFs, 'readText'>, file: string, required: boolean): Promise<EnvFileEntry[] | null> {
  let text: string;
  try {
    text = await fs.readText(file);
  } catch (error) {
    const errno = errnoOf((error as Error).cause) ?? errnoOf(error);
    if (errno === 'ENOENT' && !required) return null;
    throw new ConfigError({
      code: 'CONFIG_FILE_UNREADABLE',
      summary: `cannot read env file ${file}: ${errno ?? (error as Error).message}`,
      hint: required
        ? 'Pass an existing file with --env-file or OCTOLAB_ENV_FILE, or unset it to use backend/.env.local.'
        : `Check the permissions of ${file}.`,
      cause: error,
    });
  }
  return parseEnvFile(text, file);
}
