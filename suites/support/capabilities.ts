/**
 * The host-suite gating rules, shared by the tests' require helpers and the host project's
 * global setup. OCTOLAB_VERIFY_REQUIRE names capabilities a runner is meant to have; a test
 * that finds one of them missing fails instead of skipping.
 */

/** What a host test can need. Each is also a vitest tag of the same name where it applies. */
export const CAPABILITIES = {
  root: 'running as root (uid 0)',
  kvm: 'a usable /dev/kvm (KVM_GET_API_VERSION 12, KVM_CREATE_VM)',
  net: 'network namespaces, bridges and TAP devices (iproute2, CAP_NET_ADMIN)',
  users: 'creating throwaway users and groups (useradd, groupadd, runuser)',
  firecracker: 'a firecracker binary of the expected version',
  boot: 'a real Firecracker boot: a KVM that runs a guest, firecracker, a kernel and a rootfs that the doctor accepts',
  image: 'building the hello rootfs (busybox-static, mkfs.ext4, debugfs)',
  systemd: 'systemd-analyze (package systemd), to verify the shipped systemd units',
  promtool: "promtool (Debian package prometheus), to check the doctor's Prometheus exposition",
  browser: 'a headless Chromium (Debian package chromium), to render the fleet report as a browser does',
} as const;

export type Capability = keyof typeof CAPABILITIES;

/** The environment variable that turns "missing → skip" into "missing → fail". */
export const REQUIRE_VARIABLE = 'OCTOLAB_VERIFY_REQUIRE';

/** Parses OCTOLAB_VERIFY_REQUIRE (`all`, or a comma list of capabilities); unknown names throw. */
export function parseRequired(value: string | undefined): Set<Capability> {
  const names = (value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (names.includes('all')) return new Set(Object.keys(CAPABILITIES) as Capability[]);
  const unknown = names.filter((name) => !Object.hasOwn(CAPABILITIES, name));
  if (unknown.length > 0) {
    throw new Error(
      `${REQUIRE_VARIABLE} names unknown capabilities: ${unknown.join(', ')}. ` +
        `Use "all" or a comma list of: ${Object.keys(CAPABILITIES).join(', ')}.`,
    );
  }
  return new Set(names as Capability[]);
}

/** What a require helper decided: run, skip (with reason) or fail (with reason). */
export type Gate = { action: 'run' } | { action: 'skip'; reason: string } | { action: 'fail'; reason: string };

/** Decides what a test does when `missing` (a reason, or null when present) describes a capability. */
export function decideGate(capability: Capability, missing: string | null, required: Set<Capability>): Gate {
  if (missing === null) return { action: 'run' };
  const reason = `needs ${CAPABILITIES[capability]}: ${missing}`;
  if (required.has(capability)) {
    return { action: 'fail', reason: `${reason} (required by ${REQUIRE_VARIABLE}; this runner is meant to have it)` };
  }
  return { action: 'skip', reason };
}
