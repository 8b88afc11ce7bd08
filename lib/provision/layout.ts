import path from 'node:path';

/**
 * Where setup installs, under a root prefix ("/" on a real runner; a temp dir in tests):
 * binaries in <prefix>/usr/local/bin, kernel and rootfs in <prefix>/var/lib/octolab/firecracker,
 * lab state in <prefix>/var/lib/octolab/microvm, as the seed README lays them out.
 */
export interface InstallLayout {
  prefix: string;
  binDir: string;
  firecrackerBin: string;
  jailerBin: string;
  /** The downloaded and built assets (seed: /var/lib/octolab/firecracker). */
  assetsDir: string;
  kernel: string;
  rootfs: string;
  /** Per-lab state (seed: /var/lib/octolab/microvm), owned by the invoking user. */
  stateDir: string;
  /** What setup installed and from what (sha256s, URLs): makes reruns download nothing. */
  manifest: string;
}

/** Returns the layout under `prefix` (resolved; "/" by default). */
export function installLayout(prefix = '/'): InstallLayout {
  const root = path.resolve(prefix);
  const binDir = path.join(root, 'usr/local/bin');
  const assetsDir = path.join(root, 'var/lib/octolab/firecracker');
  return {
    prefix: root,
    binDir,
    firecrackerBin: path.join(binDir, 'firecracker'),
    jailerBin: path.join(binDir, 'jailer'),
    assetsDir,
    kernel: path.join(assetsDir, 'vmlinux'),
    rootfs: path.join(assetsDir, 'rootfs.ext4'),
    stateDir: path.join(root, 'var/lib/octolab/microvm'),
    manifest: path.join(assetsDir, '.octolab-install.json'),
  };
}
