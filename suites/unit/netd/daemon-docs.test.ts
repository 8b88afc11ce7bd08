import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVE_ONLY_OPTIONS } from '../../../lib/cli/commands/netd-serve.ts';
import { variables } from '../../../lib/config/variables.ts';
import { NETD_ERROR_CODES } from '../../../lib/netd/protocol.ts';

// docs/netd-daemon.md is the operator's reference for the daemon: it must name every error code
// the daemon sends, every `netd serve` option and every variable the daemon reads.
const doc = readFileSync(new URL('../../../docs/netd-daemon.md', import.meta.url), 'utf8');

describe('docs/netd-daemon.md', () => {
  it.each(Object.keys(NETD_ERROR_CODES))('has a row for error code %s', (code) => {
    expect(doc).toContain(`| \`${code}\` |`);
  });

  it.each(['socket', ...SERVE_ONLY_OPTIONS])('documents netd serve --%s', (option) => {
    expect(doc).toMatch(new RegExp(`\\| \`--${option}( [A-Z]+)?\` \\|`));
  });

  it.each([variables.netdSocket, variables.netdGroup, variables.netdPool, variables.netdPrefixLen, variables.netdDns])('documents $name with its default', (spec) => {
    expect(doc).toContain(`| \`${spec.name}\` | \`${String(spec.default)}\` |`);
  });
});
