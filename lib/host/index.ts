export type * from './types.ts';
export { createRealHost } from './real-host.ts';
export { canAccess, formatMode, type AccessWant } from './permissions.ts';
export { detectWsl, type WslDetection } from './wsl.ts';
export { gatherHostFacts, type HostFacts } from './host-facts.ts';
export { displayCommand } from './real-processes.ts';
