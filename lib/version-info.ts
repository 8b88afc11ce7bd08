import { TOOL_NAME, TOOL_VERSION } from './version.ts';

/** The `tool` object every JSON output and report of this project carries: who wrote it. */
export interface ToolInfo {
  name: string;
  version: string;
}

/** Returns `{ name: 'octolab-verify', version }` from lib/version.ts. */
export function toolInfo(): ToolInfo {
  return { name: TOOL_NAME, version: TOOL_VERSION };
}
