/**
 * The tool's name and version, as reports, `--version` and build-info metrics state them. A plain
 * constant so that `--version` loads nothing; suites/unit/support/version.test.ts keeps it equal
 * to package.json's version.
 */
export const TOOL_NAME = 'octolab-verify';
export const TOOL_VERSION = '0.2.0';
