/**
 * The link operations the daemon needs, as an interface: lib/host/ip-links.ts drives iproute2,
 * fixtures/fake-links.ts keeps an in-memory table. The daemon never builds a command itself.
 */

/** What the daemon knows about one device. */
export interface LinkState {
  name: string;
  /** `bridge`, `tap` (a tun device in tap mode), `tun`, or the kernel's kind (`dummy`, `veth`, … or `device`). */
  kind: string;
  /** IFLA_IFALIAS, or null when none is set. */
  alias: string | null;
  /** The bridge (or other master) this device is enslaved to. */
  master: string | null;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** The kernel's operstate, lower-cased (`up`, `down`, `unknown`, …). */
  operState: string;
  /** For a TAP: the owning uid, or null when it has none. */
  owner: number | null;
  /**
   * Carrier of an up device: true with LOWER_UP, false with NO-CARRIER; null when the device is
   * down (the kernel reports no carrier then). For a TAP, carrier means a process has it open.
   */
  carrier: boolean | null;
  /** The IPv4 addresses on the device, as `ip addr` shows them (the daemon records a lab's subnet here). */
  addresses: Ipv4Interface[];
}

/** One IPv4 address on a device: `address/prefixLen`, e.g. 10.208.5.1/24. */
export interface Ipv4Interface {
  /** Dotted quad. */
  address: string;
  /** 0 to 32. */
  prefixLen: number;
}

/** One step of a batch. Names come from labLinkNames(), never from a client. */
export type LinkOp =
  | { op: 'add-bridge'; name: string }
  | { op: 'add-tap'; name: string; owner: number | null }
  | { op: 'set-alias'; name: string; alias: string }
  | { op: 'set-master'; name: string; master: string }
  | { op: 'set-up'; name: string }
  /** Adds an IPv4 address (`a.b.c.d/len`) to a device: a lab's gateway on its bridge. */
  | { op: 'add-address'; name: string; address: string }
  /** Removes an address this request added (a rollback step). */
  | { op: 'del-address'; name: string; address: string }
  | { op: 'delete'; name: string }
  /** Deletes a TAP only when no process has it open: the kernel answers EBUSY otherwise (`ip tuntap del`). */
  | { op: 'delete-tap'; name: string };

/** The errno a failed step maps to; OTHER when the message matched none. */
export type LinkErrno = 'EEXIST' | 'EPERM' | 'ENODEV' | 'EBUSY' | 'ETIMEDOUT' | 'OTHER';

/** Why a batch stopped. Steps before `index` were applied; `index` and later ones were not. */
export interface LinkBatchFailure {
  /** The failed step, or null when the tool failed without saying which (then re-read the state). */
  index: number | null;
  errno: LinkErrno;
  /** The tool's own words (trimmed, at most a few hundred characters). */
  message: string;
}

/** The outcome of a batch: all steps applied, or the first failure. */
export type LinkBatchResult = { ok: true } | { ok: false; failure: LinkBatchFailure };

/** Thrown when the links cannot even be listed. */
export class LinkQueryError extends Error {
  constructor(
    message: string,
    readonly errno: LinkErrno,
  ) {
    super(message);
    this.name = 'LinkQueryError';
  }
}

/** The link operations, in one network namespace. */
export interface Links {
  /** Every device whose name is in the obr/otp families (obr or otp + 10 hex digits), with its IPv4 addresses. Throws LinkQueryError. */
  listLabLinks(): Promise<LinkState[]>;
  /** Applies the steps in order, stopping at the first failure (one `ip -batch` process on the real host). */
  apply(ops: readonly LinkOp[]): Promise<LinkBatchResult>;
}

/** Maps a tool's error text to the errno it stands for. */
export function classifyLinkError(message: string): LinkErrno {
  if (/File exists|Address already assigned/i.test(message)) return 'EEXIST';
  if (/Operation not permitted|Permission denied/i.test(message)) return 'EPERM';
  if (/Cannot find device|does not exist|No such device/i.test(message)) return 'ENODEV';
  if (/Device or resource busy/i.test(message)) return 'EBUSY';
  if (/timed out/i.test(message)) return 'ETIMEDOUT';
  return 'OTHER';
}
