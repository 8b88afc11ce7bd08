/**
 * A validator for node-problem-detector's custom-plugin monitor configuration, written from its
 * documented format (pkg/custompluginmonitor/types: CustomPluginConfig, pluginGlobalConfig,
 * CustomRule; pkg/types: Condition, Type): field names and types, Go duration strings, and the
 * checks NPD's own Validate() makes. Returns every problem found, [] when the config is valid.
 */

/** NPD's plugin name for custom plugins: the only one it supports. */
const PLUGIN = 'custom';
const TOP = ['plugin', 'pluginConfig', 'source', 'metricsReporting', 'conditions', 'rules'];
const GLOBAL = ['invoke_interval', 'timeout', 'max_output_length', 'concurrency', 'enable_message_change_based_condition_update', 'skip_initial_status'];
const RULE = ['type', 'condition', 'reason', 'path', 'args', 'timeout', 'invoke_interval'];
const CONDITION = ['type', 'reason', 'message', 'status', 'transition'];
/** NPD's default global timeout (5s) applies when pluginConfig.timeout is absent. */
const DEFAULT_TIMEOUT_MS = 5000;

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go time.ParseDuration string ("10s", "1m30s", "1.5h", "0") to ms; null when Go would refuse it. */
export function parseGoDuration(text: string): number | null {
  if (text === '0') return 0;
  const match = /^([-+]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(text);
  if (!match) return null;
  let total = 0;
  for (const part of match[2]!.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * UNIT_MS[part[2]!]!;
  return match[1] === '-' ? -total : total;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns every problem of a custom-plugin config, each naming the field. */
export function validateNpdConfig(config: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(config)) return ['the config is not a JSON object'];
  const unknown = (object: Json, allowed: string[], where: string) => {
    for (const key of Object.keys(object)) if (!allowed.includes(key)) problems.push(`${where}.${key} is not a field NPD knows (it would be ignored)`);
  };
  const duration = (value: unknown, where: string): number | null => {
    if (value === undefined) return null;
    const ms = typeof value === 'string' ? parseGoDuration(value) : null;
    if (ms === null || ms <= 0) problems.push(`${where} must be a positive Go duration string such as "10s" or "1m30s", got ${JSON.stringify(value)}`);
    return ms;
  };
  const string = (value: unknown, where: string, required = true) => {
    if (value === undefined && !required) return;
    if (typeof value !== 'string' || value === '') problems.push(`${where} must be a non-empty string, got ${JSON.stringify(value)}`);
  };

  unknown(config, TOP, 'config');
  if (config.plugin !== PLUGIN) problems.push(`plugin must be "${PLUGIN}" (the only plugin NPD supports), got ${JSON.stringify(config.plugin)}`);
  string(config.source, 'source');
  if (config.metricsReporting !== undefined && typeof config.metricsReporting !== 'boolean') problems.push('metricsReporting must be a boolean');

  let globalTimeout = DEFAULT_TIMEOUT_MS;
  if (config.pluginConfig !== undefined) {
    if (!isObject(config.pluginConfig)) problems.push('pluginConfig must be an object');
    else {
      const g = config.pluginConfig;
      unknown(g, GLOBAL, 'pluginConfig');
      duration(g.invoke_interval, 'pluginConfig.invoke_interval');
      globalTimeout = duration(g.timeout, 'pluginConfig.timeout') ?? globalTimeout;
      for (const key of ['max_output_length', 'concurrency']) {
        if (g[key] !== undefined && !(Number.isInteger(g[key]) && (g[key] as number) > 0)) problems.push(`pluginConfig.${key} must be a positive integer, got ${JSON.stringify(g[key])}`);
      }
      for (const key of ['enable_message_change_based_condition_update', 'skip_initial_status']) {
        if (g[key] !== undefined && typeof g[key] !== 'boolean') problems.push(`pluginConfig.${key} must be a boolean`);
      }
    }
  }

  const conditionTypes: string[] = [];
  if (!Array.isArray(config.conditions)) problems.push('conditions must be an array (the default states of the conditions the rules set)');
  else
    config.conditions.forEach((c, i) => {
      if (!isObject(c)) return void problems.push(`conditions[${i}] must be an object`);
      unknown(c, CONDITION, `conditions[${i}]`);
      for (const key of ['type', 'reason', 'message']) string(c[key], `conditions[${i}].${key}`);
      if (typeof c.type === 'string') conditionTypes.push(c.type);
    });

  if (!Array.isArray(config.rules) || config.rules.length === 0) problems.push('rules must be a non-empty array');
  else
    config.rules.forEach((r, i) => {
      const where = `rules[${i}]`;
      if (!isObject(r)) return void problems.push(`${where} must be an object`);
      unknown(r, RULE, where);
      if (r.type !== 'temporary' && r.type !== 'permanent') problems.push(`${where}.type must be "temporary" or "permanent", got ${JSON.stringify(r.type)}`);
      string(r.reason, `${where}.reason`);
      string(r.path, `${where}.path`);
      if (typeof r.path === 'string' && !r.path.startsWith('/')) problems.push(`${where}.path must be absolute (NPD runs it without a shell or PATH search), got ${r.path}`);
      if (r.args !== undefined && !(Array.isArray(r.args) && r.args.every((a) => typeof a === 'string'))) problems.push(`${where}.args must be an array of strings`);
      const timeout = duration(r.timeout, `${where}.timeout`);
      if (timeout !== null && timeout > globalTimeout) problems.push(`${where}.timeout (${r.timeout}) is greater than the global timeout: NPD refuses the config`);
      duration(r.invoke_interval, `${where}.invoke_interval`);
      if (r.type === 'permanent') {
        string(r.condition, `${where}.condition`);
        if (typeof r.condition === 'string' && !conditionTypes.includes(r.condition)) problems.push(`${where} is permanent but its condition ${r.condition} has no default in conditions: NPD refuses the config`);
      }
    });
  return problems;
}
