import type { NetdClient } from '../netd/client.ts';
import { guestMacFor, hasIpArgument, kernelIpArgument } from '../netd/guest-network.ts';
import { labLinkNames } from '../netd/names.ts';
import type { GuestNetwork, NetdDesign } from '../netd/views.ts';

/**
 * The network netd made for one lab, and what the guest gets from it, as OctoLab's backend gives
 * it: the TAP as eth0 with the guest MAC derived from the lab id, and the kernel argument
 * ` ip=<guest_ip>::<gateway>:<netmask>::eth0:none` (with the netmask netd returned; the backend
 * hard-codes 255.255.0.0). Guest parameters are null when the daemon sent none (an old daemon).
 */
export interface VmNetwork extends GuestNetwork {
  tap: string;
  bridge: string;
  design: NetdDesign;
  /** eth0's MAC (`AA:FC:00:XX:XX:XX`); null: none is set and Firecracker picks one. */
  guest_mac: string | null;
  /** The `ip=` argument appended to the boot args (leading space included); null when none is. */
  kernel_ip_arg: string | null;
  /** Why no `ip=` argument is appended; null when one is. */
  kernel_ip_note: string | null;
}

/** What the boot needs from microvm-netd: a TAP for a lab, and its release. */
export interface NetdLease {
  /** `signal` abandons the request (stage deadline, interrupted run); teardown still releases. */
  alloc(labId: string, signal?: AbortSignal): Promise<LeasedNetwork>;
  release(labId: string): Promise<void>;
}

/** What a lease hands the boot; the boot decides about the `ip=` argument (it knows the boot args). */
export type LeasedNetwork = Omit<VmNetwork, 'kernel_ip_arg' | 'kernel_ip_note'>;

/**
 * Adapts the netd client to the boot. The client already treats the daemon's reply as hostile
 * (the TAP must be exactly the lab's otp name, the bridge the lab's obr name or a shared bridge,
 * addresses valid IPv4), so nothing handed to Firecracker comes from the socket unchecked.
 */
export function createNetdLease(client: Pick<NetdClient, 'alloc' | 'release'>): NetdLease {
  return {
    async alloc(labId, signal) {
      const result = await client.alloc(labId, { signal });
      const { guest_ip, gateway, netmask, dns } = result;
      return { tap: result.tap, bridge: result.bridge, design: result.design, guest_ip, gateway, netmask, dns, guest_mac: guestMacFor(labLinkNames(result.lab_id)) };
    },
    async release(labId) {
      await client.release(labId);
    },
  };
}

/** Decides the `ip=` argument for a leased network and the configured boot args. Pure. */
export function withKernelIpArgument(network: LeasedNetwork, bootArgs: string): VmNetwork {
  const arg = kernelIpArgument(network);
  if (arg === null) {
    const missing = (['guest_ip', 'gateway', 'netmask'] as const).filter((key) => network[key] === null);
    return { ...network, kernel_ip_arg: null, kernel_ip_note: `microvm-netd sent no ${missing.join(', ')}: the guest gets no ip= argument (eth0 is attached, unconfigured)` };
  }
  if (hasIpArgument(bootArgs)) return { ...network, kernel_ip_arg: null, kernel_ip_note: 'the configured boot args set ip= themselves: kept as configured' };
  return { ...network, kernel_ip_arg: arg, kernel_ip_note: null };
}

/** Returns the boot args Firecracker gets: the configured ones plus the network's `ip=` argument, if any. */
export function bootArgsWith(bootArgs: string, network: VmNetwork | undefined): string {
  return network?.kernel_ip_arg ? `${bootArgs}${network.kernel_ip_arg}` : bootArgs;
}

/** Describes the network in one phrase for the boot's summary line. Pure. */
export function describeNetwork(network: VmNetwork): string {
  const base = `tap ${network.tap} on ${network.bridge} (${network.design})`;
  if (network.kernel_ip_arg === null) return `${base}, ${network.kernel_ip_note ?? 'no ip= argument'}`;
  return `${base}, guest ${network.guest_ip}/${network.netmask} via ${network.gateway}${network.guest_mac ? `, MAC ${network.guest_mac}` : ''}`;
}
