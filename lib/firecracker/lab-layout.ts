import path from 'node:path';

/**
 * The lab state directory layout. This is a CONTRACT: `octolab-verify cleanup` finds labs by it.
 *
 *   <state_dir>/lab_<uuid>/            mode 0700, one per boot (uuid lower-case, with dashes)
 *     firecracker.sock                 the API socket (`--api-sock`)
 *     firecracker.log                  Firecracker's log (PUT /logger; created empty before)
 *     serial.log                       Firecracker's stdout: the guest's serial console
 *     firecracker.stderr               Firecracker's stderr
 *     rootfs.ext4                      the lab's copy of the base rootfs
 *     firecracker.pid                  the pid (= process group id) of firecracker, decimal + "\n"
 *
 * The process runs as `<bin> --api-sock <lab dir>/firecracker.sock --id lab-<uuid>` in its own
 * session and process group, with the lab dir as its working directory.
 */

/** Every path of one lab. */
export interface LabPaths {
  labId: string;
  /** The Firecracker `--id`: `lab-<uuid>` (Firecracker ids allow `-`, not `_`). */
  instanceId: string;
  dir: string;
  socket: string;
  log: string;
  serial: string;
  stderr: string;
  rootfs: string;
  pidFile: string;
}

/** File names inside a lab dir. */
export const LAB_FILES = {
  socket: 'firecracker.sock',
  log: 'firecracker.log',
  serial: 'serial.log',
  stderr: 'firecracker.stderr',
  rootfs: 'rootfs.ext4',
  pidFile: 'firecracker.pid',
} as const;

/** The directory name prefix; the rest is the lab uuid. */
export const LAB_DIR_PREFIX = 'lab_';
/** The `--id` prefix; the rest is the lab uuid. */
export const INSTANCE_ID_PREFIX = 'lab-';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Returns the paths of lab `labId` (a lower-case UUID) under `stateDir`. */
export function labPaths(stateDir: string, labId: string): LabPaths {
  if (!UUID.test(labId)) throw new Error(`lab id must be a lower-case UUID, got ${JSON.stringify(labId)}`);
  const dir = path.join(path.resolve(stateDir), `${LAB_DIR_PREFIX}${labId}`);
  const at = (name: string) => path.join(dir, name);
  return {
    labId,
    instanceId: `${INSTANCE_ID_PREFIX}${labId}`,
    dir,
    socket: at(LAB_FILES.socket),
    log: at(LAB_FILES.log),
    serial: at(LAB_FILES.serial),
    stderr: at(LAB_FILES.stderr),
    rootfs: at(LAB_FILES.rootfs),
    pidFile: at(LAB_FILES.pidFile),
  };
}

/** Returns the lab uuid of a directory name such as `lab_<uuid>`, or null. */
export function labIdOfDirName(name: string): string | null {
  if (!name.startsWith(LAB_DIR_PREFIX)) return null;
  const id = name.slice(LAB_DIR_PREFIX.length);
  return UUID.test(id) ? id : null;
}

/** Returns the firecracker command line for a lab: `--api-sock <sock> --id lab-<uuid>`, then `extra`. */
export function firecrackerArgs(paths: LabPaths, extra: readonly string[] = []): string[] {
  return ['--api-sock', paths.socket, '--id', paths.instanceId, ...extra];
}
