import path from 'node:path';
import { ConfigError, UsageError, VerifyError, describeErrno, errnoOf } from '../errors.ts';
import type { HostFs } from '../host/types.ts';
import { closestName } from './did-you-mean.ts';
import { readEnvText, type EnvFileEntry } from './env-file.ts';
import { KNOWN_ELSEWHERE, toolVariables } from './tool-variables.ts';
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
  /**
   * What was read but not used, one line each: a malformed env-file line (file:line, skipped) and
   * an OCTOLAB_ name that is close to a known one ("did you mean"). The commands print them.
   */
  warnings: string[];
}

/** Every variable name this project (or a neighbour it knows of) reads. */
export const KNOWN_NAMES: ReadonlySet<string> = new Set([
  ...Object.values(variables).flatMap((spec) => [spec.name, ...(spec.legacy ?? [])]),
  ...toolVariables.map((v) => v.name),
  ...KNOWN_ELSEWHERE,
]);

/** Inputs to loadConfig. */
export interface LoadConfigOptions {
  env: Readonly<Record<string, string | undefined>>;
  fs: Pick<HostFs, 'readText' | 'stat'>;
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
  if (options.envFile === '') throw new UsageError({ code: 'USAGE', summary: '--dotenv needs a path, got an empty string', hint: 'Pass --dotenv PATH, or leave it out to use OCTOLAB_ENV_FILE or backend/.env.local.' });
  // An empty OCTOLAB_ENV_FILE counts as unset, as an empty variable does in the seed's scripts.
  const explicit = options.envFile ?? (options.env.OCTOLAB_ENV_FILE || undefined);
  const envFilePath = path.resolve(cwd, explicit ?? DEFAULT_ENV_FILE);
  const read = await readEnvFile(options.fs, envFilePath, options.envFile !== undefined ? 'flag' : explicit !== undefined ? 'env' : 'default');
  const fileEntries = read?.entries ?? null;
  const fromFile = new Map<string, EnvFileEntry>();
  for (const entry of fileEntries ?? []) fromFile.set(entry.key, entry);
  const warnings = (read?.problems ?? []).map((problem) => `${problem.summary} (line ignored; the rest of the file was read): ${problem.hint}`);
  warnings.push(...misspelt(options.env, fileEntries ?? []));

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
    warnings,
  };
}

/** One warning per OCTOLAB_ name (environment or env file) that is a likely typo of a known one. */
function misspelt(env: LoadConfigOptions['env'], entries: readonly EnvFileEntry[]): string[] {
  const found: Array<{ name: string; where: string }> = [
    ...Object.keys(env).map((name) => ({ name, where: 'in the environment' })),
    ...entries.map((entry) => ({ name: entry.key, where: `at ${entry.file}:${entry.line}` })),
  ];
  const warnings: string[] = [];
  for (const { name, where } of found) {
    if (!/^octolab_/i.test(name) || KNOWN_NAMES.has(name)) continue;
    const suggestion = closestName(name, KNOWN_NAMES);
    if (suggestion) warnings.push(`${name} ${where} is not a variable octolab-verify reads: did you mean ${suggestion}? (it is ignored until renamed)`);
  }
  return warnings;
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

const KIND_WORDS: Record<string, string> = { directory: 'a directory', fifo: 'a FIFO (reading it would wait for a writer)', 'char-device': 'a character device', 'block-device': 'a block device', socket: 'a socket' };

/** An env file larger than this is not an env file (a device, a log): refused rather than read. */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;

/**
 * Reads the env file: a missing default file is no file; anything else that is not a readable
 * regular file (a directory, a FIFO that would block, a device, a huge file) is refused with a
 * message naming where the path came from: --dotenv → UsageError (64), the environment → ConfigError (78).
 */
async function readEnvFile(fs: Pick<HostFs, 'readText' | 'stat'>, file: string, from: 'flag' | 'env' | 'default'): Promise<ReturnType<typeof readEnvText> | null> {
  const how = from === 'flag' ? 'given with --dotenv' : from === 'env' ? 'named by OCTOLAB_ENV_FILE' : '(the default env file)';
  const fix = from === 'flag' ? 'pass an existing env file with --dotenv PATH, or leave it out to use OCTOLAB_ENV_FILE or backend/.env.local' : from === 'env' ? 'point OCTOLAB_ENV_FILE at an existing env file, or unset it to use backend/.env.local' : `fix or remove ${file}, or pass another one with --dotenv PATH`;
  const refuse = (why: string, cause?: unknown) => {
    const parts = { code: 'CONFIG_FILE_UNREADABLE', summary: `cannot read the env file ${file} ${how}: ${why}`, hint: `${fix[0]!.toUpperCase()}${fix.slice(1)}.`, cause };
    return from === 'flag' ? new UsageError(parts) : new ConfigError(parts);
  };
  let text: string;
  try {
    const info = await fs.stat(file);
    if (info.kind !== 'file') throw refuse(`it is ${KIND_WORDS[info.kind] ?? `a ${info.kind}`}, not a file`);
    if (info.size > MAX_ENV_FILE_BYTES) throw refuse(`it holds ${info.size} bytes, more than an env file's ${MAX_ENV_FILE_BYTES}`);
    text = await fs.readText(file);
  } catch (error) {
    if (error instanceof VerifyError && error.code === 'CONFIG_FILE_UNREADABLE') throw error;
    const errno = errnoOf((error as Error).cause) ?? errnoOf(error);
    if ((errno === 'ENOENT' || errno === 'ENOTDIR') && from === 'default') return null;
    throw refuse(errno ? describeErrno(errno) : (error as Error).message, error);
  }
  return readEnvText(text, file);
}
