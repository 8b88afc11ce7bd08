import type { NetdClient } from '../netd/client.ts';

/** The devices netd made for one lab. */
export interface VmNetwork {
  tap: string;
  bridge: string;
}

/** What the boot needs from microvm-netd: a TAP for a lab, and its release. */
export interface NetdLease {
  /** `signal` abandons the request (stage deadline, interrupted run); teardown still releases. */
  alloc(labId: string, signal?: AbortSignal): Promise<VmNetwork>;
  release(labId: string): Promise<void>;
}

/**
 * Adapts the netd client to the boot. The client already treats the daemon's reply as hostile
 * (the names must be exactly those derived from the lab id), so the TAP name handed to Firecracker
 * never comes from the socket unchecked.
 */
export function createNetdLease(client: Pick<NetdClient, 'alloc' | 'release'>): NetdLease {
  return {
    async alloc(labId, signal) {
      const result = await client.alloc(labId, { signal });
      return { tap: result.tap, bridge: result.bridge };
    },
    async release(labId) {
      await client.release(labId);
    },
  };
}
