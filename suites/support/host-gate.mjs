#!/usr/bin/env node
// Refuses to start the host suites as a non-root user, and says how to run them.
// Runs before vitest (package script) and again from the host project's global setup.

/** Returns the refusal message for a non-root uid, or null when the host suites may run. */
export function hostGateMessage(uid) {
  if (uid === 0) return null;
  return [
    `The host suites need root (running as uid ${uid}): they open /dev/kvm, create network namespaces,`,
    'bridges, TAPs and throwaway users, and judge access as the invoking user.',
    'Run them with:',
    '  sudo pnpm test:host',
    'or, when pnpm or node live in your home directory (nvm, ~/.local):',
    '  sudo env "PATH=$PATH" pnpm test:host',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const message = hostGateMessage(process.geteuid?.() ?? -1);
  if (message) {
    console.error(message);
    process.exit(1);
  }
}
