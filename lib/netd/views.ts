/**
 * What the netd client returns: the daemon's answers read into one shape for both designs.
 * A fact the daemon did not send is null (unknown), never a guessed value; `unknown`/`missing`
 * lists name those facts so that a renderer can say "unknown" rather than "down" or "not owned".
 * These are the client's own types (the daemon's wire types live in protocol.ts).
 */
import type { NetdDesign } from './design.ts';
import type { GuestNetwork } from './guest-network.ts';

export type { NetdDesign } from './design.ts';
export type { GuestNetwork } from './guest-network.ts';

/** `hello`: who answers, and which design it follows. */
export interface HelloView {
  name: string | null;
  api_version: number;
  supported_ops: string[];
  build_id: string | null;
  /** The design, from hello's `design` field or upstream's ops/build id; null when hello does not tell. */
  design: NetdDesign | null;
  /** What the design was read from, in words. */
  design_evidence: string;
}

/** What `identify` learns: the hello, or that the daemon has none (the old per-lab daemon). */
export interface NetdIdentity {
  /** null when the daemon answered hello with UNKNOWN_OP. */
  hello: HelloView | null;
  design: NetdDesign | null;
  design_evidence: string;
}

/** `ping`: the status and version; `missing` names what the reply lacked (`{"ok":true}` alone lacks `result`). */
export interface PingView {
  status: string | null;
  version: string | null;
  ts: number | null;
  missing: string[];
}

/** `alloc_vm_net`: the lab's devices and the guest's parameters. */
export interface AllocView extends GuestNetwork {
  lab_id: string;
  lab_id_suffix: string | null;
  design: NetdDesign;
  bridge: string;
  tap: string;
  /** False when the devices already existed; null when the daemon does not say (upstream's shared-bridge daemon). */
  created: boolean | null;
  /** Of the six fields upstream's client requires (tap, guest_ip, gateway, netmask, dns, bridge), those not sent. */
  missing: string[];
}

/** `release_vm_net`: what was deleted. */
export interface ReleaseView {
  lab_id: string;
  lab_id_suffix: string | null;
  /** per-lab when the reply reports bridge_deleted (the bridge is the lab's), shared-bridge when it does not. */
  design: NetdDesign;
  /** The lab's bridge when deleted; null when already gone (per-lab) or not the lab's to delete (shared-bridge). */
  bridge_deleted: string | null;
  /** The TAP when deleted (a shared-bridge daemon names it even when it was already gone); null when already gone. */
  tap_deleted: string | null;
}

/** One device as diag reports it; `unknown` names the fields the daemon did not send. */
export interface DiagDevice {
  name: string;
  exists: boolean | null;
  /** `bridge`, `tap`, … (null: absent or not reported). */
  kind: string | null;
  /** Administratively up. */
  up: boolean | null;
  /** The kernel's operstate, lower-cased. */
  state: string | null;
  /** The device it is enslaved to; null with `master` not in `unknown`: none. */
  master: string | null;
  /** The lab recorded in the device's owner record (per-lab reference daemon). */
  owner_lab_id: string | null;
  /** The owner record names this lab (per-lab reference daemon). */
  owned: boolean | null;
  unknown: string[];
}

/** The TAP as diag reports it, with its owner uid where the daemon reports one. */
export interface DiagTap extends DiagDevice {
  /** The TAP's owner uid; null: none, or not reported (see `unknown`). */
  owner_uid: number | null;
  /** The owner this daemon gives TAPs; absent when the daemon does not compare owners. */
  owner_expected?: number | null;
  owner_matches?: boolean;
}

/** One of the client's own checks of a diag, by the design's rules; ok null: cannot be told. */
export interface DiagCheck {
  name: string;
  ok: boolean | null;
  detail: string;
}

/** `diag_vm_net`. */
export interface DiagView {
  lab_id: string;
  lab_id_suffix: string | null;
  design: NetdDesign;
  bridge: DiagDevice;
  tap: DiagTap;
  /** The guest parameters; null when the daemon sent none (or sent null: the lab has no addresses). */
  network_params: GuestNetwork | null;
  /** The daemon's own verdict; null when it sent none. */
  healthy: boolean | null;
  checks: DiagCheck[];
  /** The daemon's verdict and the client's checks together. */
  verdict: 'healthy' | 'not-healthy' | 'unknown';
}

/** One device of `list`. */
export interface ListedInterface {
  name: string;
  /** `bridge` or `tap` as the daemon says. */
  type: string;
  /** The 10 hex digits of an obr/otp name; null for a shared bridge. */
  lab_prefix: string | null;
  /** The lab id when the daemon names it (the old per-lab `labs` shape); null otherwise. */
  lab_id: string | null;
  /** false when the daemon says no lab owns it; null when it does not say. */
  owned: boolean | null;
  /** An obr bridge a shared-bridge daemon lists as left from the per-lab design. */
  legacy: boolean;
}

/** A lab as `list` shows it: its obr/otp devices grouped by their 10 hex digits. */
export interface ListedLab {
  lab_prefix: string;
  lab_id: string | null;
  bridge: string | null;
  tap: string | null;
}

/** `list`, every page read. */
export interface ListView {
  /** shared-bridge when a shared bridge or a legacy entry is listed, per-lab for the `labs` shape or an owned obr bridge; else null. */
  design: NetdDesign | null;
  /** `interfaces` (+ `count`, upstream's) or `labs` (the old per-lab reply). */
  shape: 'interfaces' | 'labs';
  interfaces: ListedInterface[];
  labs: ListedLab[];
  /** Bridges outside the obr/otp families (br-octonet): shared by every lab, never a lab's. */
  shared_bridges: string[];
  /** obr/otp devices the daemon says no lab owns. */
  unowned: string[];
  /** The daemon's total; null when it sent none. */
  count: number | null;
  pages: number;
  /** Every interface the daemon counted was read. */
  complete: boolean;
}
