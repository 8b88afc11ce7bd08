// Plain JavaScript on purpose: suites/support/host-gate.mjs runs it with node before tsx is loaded.

/**
 * Returns the refusal message for a non-root uid, or null when root-only work may run.
 * `command` is what the user ran (pnpm test:host, pnpm test, pnpm verify), repeated in the advice.
 */
export function hostGateMessage(uid, command = 'pnpm test:host') {
  if (uid === 0) return null;
  return [
    `The host suites need root (running as uid ${uid}): they open /dev/kvm, create network namespaces,`,
    'bridges, TAPs and throwaway users, and judge access as the invoking user.',
    'Run them with:',
    `  sudo ${command}`,
    'or, when pnpm or node live in your home directory (nvm, ~/.local):',
    `  sudo env "PATH=$PATH" ${command}`,
  ].join('\n');
}
