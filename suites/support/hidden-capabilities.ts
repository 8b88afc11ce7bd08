/**
 * The host tests that depend on a capability a CI machine may lack, and how CI hides each one to
 * prove that those tests pass or skip with their reason without it: KVM through OCTOLAB_KVM_DEVICE
 * at a path that does not exist, programs through a PATH that lacks them. `.ci/run` runs each
 * scenario (suites/support/run-hidden-capabilities.ts) besides the run on the machine as it is.
 */

/** One hidden-capability run. */
export interface HiddenScenario {
  /** Names the JUnit file: reports/junit-host-without-<name>.xml. */
  name: string;
  /** What the machine lacks in this run, for messages. */
  lacks: string;
  /** Set OCTOLAB_KVM_DEVICE to a path that does not exist. */
  hideKvm: boolean;
  /** Programs left off PATH. */
  hideTools: readonly string[];
  /** The test files that depend on it (relative to the repository). */
  files: readonly string[];
  /** Only tests whose name matches (vitest -t), where a file's other tests need something else and are slow. */
  testNamePattern?: string;
  /** A skip reason that must appear at least once: the proof that the hiding took effect. */
  expectSkipReason: RegExp;
}

/** The KVM device path used to hide KVM: absolute (a relative one is a configuration error), never present. */
export const MISSING_KVM_DEVICE = '/nonexistent/octolab-hidden/kvm';

/** Every scenario `.ci/run` plays. */
export const HIDDEN_SCENARIOS: readonly HiddenScenario[] = [
  {
    name: 'kvm',
    lacks: `KVM (OCTOLAB_KVM_DEVICE=${MISSING_KVM_DEVICE})`,
    hideKvm: true,
    hideTools: [],
    files: ['suites/host/doctor/firecracker.test.ts', 'suites/host/doctor/kvm.test.ts', 'suites/host/kvm-guest/guest-probe.test.ts', 'suites/host/boot/real-boot.test.ts', 'suites/host/gate/gate.test.ts'],
    expectSkipReason: /octolab-hidden\/kvm does not exist/,
  },
  {
    name: 'image-tools',
    lacks: 'busybox and e2fsprogs (mkfs.ext4, debugfs, e2fsck) on PATH',
    hideKvm: false,
    hideTools: ['busybox', 'mkfs.ext4', 'debugfs', 'e2fsck'],
    files: ['suites/host/image/hello-rootfs.test.ts', 'suites/host/provision/setup-prefix.test.ts'],
    expectSkipReason: /not on PATH: busybox/,
  },
  {
    name: 'systemd',
    lacks: 'systemd-analyze on PATH',
    hideKvm: false,
    hideTools: ['systemd-analyze'],
    files: ['suites/host/netd/systemd-unit.test.ts'],
    testNamePattern: 'systemd-analyze',
    expectSkipReason: /not on PATH: systemd-analyze/,
  },
  {
    name: 'user-tools',
    lacks: 'useradd, userdel, groupadd, groupdel, usermod and runuser on PATH',
    hideKvm: false,
    hideTools: ['useradd', 'userdel', 'groupadd', 'groupdel', 'usermod', 'runuser'],
    files: [
      'suites/host/doctor/kvm.test.ts',
      'suites/host/doctor/netd.test.ts',
      'suites/host/doctor/state-dir.test.ts',
      'suites/host/gate/gate.test.ts',
      'suites/host/provision/setup-prefix.test.ts',
      'suites/host/netd/permissions.test.ts',
    ],
    expectSkipReason: /not on PATH: (useradd|groupadd)/,
  },
];
