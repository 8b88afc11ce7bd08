/**
 * The artifacts setup installs, as values. The Firecracker facts come from upstream OctoLab's
 * scripts (octolab-upstream-facts.md §1.6): the pinned version, the release URL, the inner layout
 * of the tarball, and the tarball sha256 that upstream's octolabctl pins.
 *
 * NOT VERIFIED HERE: the sha256 below is copied from upstream's octolabctl (where the check itself
 * is commented out). This project's machines cannot download anything, so nobody has hashed the
 * real tarball for this project. A mismatch on a real runner means either a tampered download or a
 * wrong pin: check the file against the release page before overriding anything.
 */

/** A Firecracker release tarball: where it is, what it must hash to, and which members to install. */
export interface FirecrackerRelease {
  version: string;
  url: string;
  sha256: string;
  /** Where the pinned checksum comes from, for the plan and for messages. */
  sha256Source: string;
  /** Archive member → installed binary name. */
  members: { firecracker: string; jailer: string };
}

/** The kernel to download; `sha256: null` means the operator explicitly accepted it unverified. */
export interface KernelArtifact {
  url: string;
  sha256: string | null;
  /** Only for `--dry-run`: no checksum was given at all (a real run refuses to start). */
  checksumMissing?: boolean;
}

/** Firecracker v1.7.0 for x86_64, as upstream OctoLab pins it. */
export const FIRECRACKER_V1_7_0: FirecrackerRelease = {
  version: '1.7.0',
  url: 'https://github.com/firecracker-microvm/firecracker/releases/download/v1.7.0/firecracker-v1.7.0-x86_64.tgz',
  sha256: '9d566e7556b39b8e97a09d3f2790f5bf7b6972fbed0a5b319e7a3e8d31ad0c9a',
  sha256Source: "pinned by upstream OctoLab's octolabctl; not verified by this project, which cannot download anything",
  members: {
    firecracker: 'release-v1.7.0-x86_64/firecracker-v1.7.0-x86_64',
    jailer: 'release-v1.7.0-x86_64/jailer-v1.7.0-x86_64',
  },
};

/**
 * The default guest kernel: Firecracker CI's 5.10 build for v1.7. No checksum is known for it
 * (upstream verifies none), so setup requires `--kernel-sha256 HEX` or an explicit `skip`.
 */
export const DEFAULT_KERNEL_URL = 'https://s3.amazonaws.com/spec.ccfc.min/firecracker-ci/v1.7/x86_64/vmlinux-5.10.209';

/** The word that accepts a kernel without a checksum (`--kernel-sha256 skip`). */
export const SKIP_CHECKSUM = 'skip';

const SHA256 = /^[0-9a-f]{64}$/;

/** Returns the lower-cased sha256, or null when `text` is not 64 hex digits. */
export function normaliseSha256(text: string): string | null {
  const value = text.trim().toLowerCase();
  return SHA256.test(value) ? value : null;
}

/**
 * The most bytes one downloaded artifact may have: a Firecracker release tarball and a guest
 * kernel are tens of MiB, so 512 MiB is generous for either, yet stops a broken or hostile mirror
 * from filling the disk under /var/lib/octolab (also with `--kernel-sha256 skip`, where no
 * checksum would catch it). lib/host/download.ts enforces it for each artifact separately.
 */
export const MAX_ARTIFACT_BYTES = 512 * 1024 * 1024;

/**
 * Returns the file name a URL ends in (the name looked up in a mirror). Throws a RangeError that
 * says why for anything else: not a URL, no file name, or percent-encoding that does not decode.
 */
export function fileNameOfUrl(url: string): string {
  let name: string;
  try {
    name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  } catch (error) {
    throw new RangeError(`${url} does not end in a file name (${error instanceof URIError ? 'its percent-encoding is not valid UTF-8' : 'it is not a valid URL'})`);
  }
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new RangeError(`${url} does not end in a file name`);
  }
  return name;
}
