#!/usr/bin/env node
// Refuses to start the host suites as a non-root user, and says how to run them.
// Runs before vitest (package script) and again from the host project's global setup.
import { hostGateMessage } from '../../lib/cli/root-gate.mjs';

export { hostGateMessage };

if (import.meta.url === `file://${process.argv[1]}`) {
  // npm_lifecycle_event names the package script that ran the gate (test:host or test).
  const script = process.env.npm_lifecycle_event === 'test' ? 'pnpm test' : 'pnpm test:host';
  const message = hostGateMessage(process.geteuid?.() ?? -1, script);
  if (message) {
    console.error(message);
    process.exit(1);
  }
}
