/**
 * The two microvm-netd designs found on OctoLab hosts, and how the client tells which one answers.
 * per-lab: a bridge `obr<hex10>` and a TAP `otp<hex10>` for each lab (the seed README's design and
 * this project's reference daemon); release deletes both. shared-bridge: one bridge for every lab
 * (upstream's current daemon: `br-octonet`) and a TAP `otp<hex10>` per lab; release deletes the TAP.
 */
import { NETD_BUILD_ID } from './protocol.ts';
import type { LabLinkNames } from './names.ts';

/** Which design a daemon follows. */
export type NetdDesign = 'per-lab' | 'shared-bridge';

/** The designs, for validating a `design` field from the wire. */
export const NETD_DESIGNS: readonly NetdDesign[] = ['per-lab', 'shared-bridge'];

/** Ops only upstream's shared-bridge daemon has (the per-lab designs never forwarded ports). */
export const SHARED_BRIDGE_ONLY_OPS = ['setup_port_forward', 'cleanup_port_forward'] as const;

/** The build id upstream's shared-bridge daemon sends in hello. */
export const UPSTREAM_SHARED_BUILD_ID = 'netd-1';

/** What hello said about the design, and on what evidence (shown to the operator). */
export interface DesignGuess {
  design: NetdDesign | null;
  evidence: string;
}

/** Reads the design from hello's fields: its `design` field, else upstream's ops and build id, else this project's build id. */
export function designFromHello(fields: { design: string | null; supported_ops: readonly string[]; build_id: string | null }): DesignGuess {
  const named = NETD_DESIGNS.find((design) => design === fields.design);
  if (named) return { design: named, evidence: `hello says design "${named}"` };
  const forwarding = SHARED_BRIDGE_ONLY_OPS.filter((op) => fields.supported_ops.includes(op));
  if (forwarding.length > 0) return { design: 'shared-bridge', evidence: `hello lists ${forwarding.join(' and ')} (upstream's shared-bridge daemon)` };
  if (fields.build_id === UPSTREAM_SHARED_BUILD_ID) return { design: 'shared-bridge', evidence: `hello's build_id is "${UPSTREAM_SHARED_BUILD_ID}" (upstream's shared-bridge daemon)` };
  if (fields.build_id === NETD_BUILD_ID) return { design: 'per-lab', evidence: `hello's build_id is "${NETD_BUILD_ID}" (this project's per-lab daemon, a version from before hello's design field)` };
  return { design: null, evidence: 'hello does not say (no design field, no port-forward ops, an unknown build_id); alloc and diag tell by the bridge they name' };
}

/** What the client concludes when a daemon answers hello with UNKNOWN_OP. */
export const NO_HELLO_GUESS: DesignGuess = {
  design: 'per-lab',
  evidence: 'no hello (UNKNOWN_OP): the old per-lab daemon, which predates the handshake',
};

// Linux accepts 1–15 bytes other than '/', ':' and whitespace; names from a hostile socket are
// held to the portable, printable subset that iproute2 and the kernel both take.
const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const LAB_FAMILY = /^o(?:br|tp)/;

/** True for a name a Linux network interface can have (printable subset, at most 15 bytes). */
export function isInterfaceName(name: string): boolean {
  return INTERFACE_NAME.test(name) && name !== '.' && name !== '..';
}

/**
 * Returns the design a bridge name reveals for `names`' lab: the lab's own obr name → per-lab; a
 * valid name outside the obr/otp families (br-octonet) → shared-bridge; anything else (another
 * lab's obr, a TAP name, a malformed name) → null, which the caller reports as a protocol error.
 */
export function designFromBridge(bridge: string, names: LabLinkNames): NetdDesign | null {
  if (bridge === names.bridge) return 'per-lab';
  if (isInterfaceName(bridge) && !LAB_FAMILY.test(bridge)) return 'shared-bridge';
  return null;
}
