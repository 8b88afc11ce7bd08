import type { Host } from './types.ts';
import { createRealFs } from './real-fs.ts';
import { createRealProcesses } from './real-processes.ts';
import { createRealKvm } from './real-kvm.ts';
import { createRealUsers } from './real-users.ts';
import { createRealSockets } from './real-sockets.ts';

/** Returns the Host for this machine; `env` defaults to process.env. */
export function createRealHost(env: Readonly<Record<string, string | undefined>> = process.env): Host {
  const proc = createRealProcesses(env);
  return {
    env,
    fs: createRealFs(),
    proc,
    kvm: createRealKvm(),
    users: createRealUsers(proc, env),
    sockets: createRealSockets(),
  };
}
