export { loadConfig, describeSource, DEFAULT_ENV_FILE, type LoadedConfig, type LoadConfigOptions, type ValueSource } from './load-config.ts';
export { parseEnvFile, type EnvFileEntry } from './env-file.ts';
export { variables, parseVersionConstraint, type Config, type Runtime, type VersionConstraint, type VariableSpec } from './variables.ts';
