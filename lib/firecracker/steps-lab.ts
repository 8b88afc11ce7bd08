import { HostError } from '../errors.ts';
import type { BootState, BootStep } from './boot-state.ts';
import { LabStateError, VmmProcessError } from './errors.ts';
import { firecrackerArgs } from './lab-layout.ts';
import { withKernelIpArgument } from './netd-lease.ts';
import { unlessExited } from './process-race.ts';

/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

async function requireFile(state: BootState, file: string | null, variable: string, what: string): Promise<string> {
  if (file === null) {
    throw new LabStateError({ code: 'BOOT_INPUT_MISSING', summary: `${variable} is not set: no ${what} to boot`, hint: `Set ${variable} (environment or backend/.env.local); \`octolab-verify doctor\` checks it.` });
  }
  try {
    const info = await state.deps.host.fs.stat(file);
    if (info.kind !== 'file') throw new LabStateError({ code: 'BOOT_INPUT_INVALID', summary: `${what} ${file} is a ${info.kind}, not a file`, hint: `Point ${variable} at the ${what} image file.` });
  } catch (error) {
    if (!(error instanceof HostError)) throw error;
    throw new LabStateError({ code: 'BOOT_INPUT_INVALID', summary: `${what} ${file} cannot be used: ${error.errno ?? error.summary}`, reason: error.reason, hint: `Check ${variable}; \`octolab-verify doctor\` explains what is wrong with it.`, cause: error });
  }
  return file;
}

/**
 * prepare: checks the inputs, creates the lab dir (removed at teardown) and the log file. Each
 * creation registers its removal as soon as it exists, and the step checks its signal before each
 * one, so an interrupted prepare stops early and leaves nothing unregistered. The rootfs is copied
 * later, by rootfs-copy, while firecracker starts.
 */
export const prepareStep: BootStep = {
  name: 'prepare',
  title: 'check the inputs and create the lab directory',
  timeoutMs: 10_000,
  async run({ state, signal, defer }) {
    const { inputs, paths, deps } = state;
    // Both checked at once; a problem with the kernel is reported first, as the inputs are listed.
    const checked = await Promise.allSettled([
      requireFile(state, inputs.kernelPath, 'OCTOLAB_MICROVM_KERNEL_PATH', 'kernel'),
      requireFile(state, inputs.rootfsPath, 'OCTOLAB_MICROVM_ROOTFS_BASE_PATH', 'rootfs'),
    ]);
    for (const check of checked) if (check.status === 'rejected') throw check.reason;
    if (Buffer.byteLength(paths.socket) > MAX_SOCKET_PATH) {
      throw new LabStateError({ code: 'LAB_PATH_TOO_LONG', summary: `the API socket path would be ${Buffer.byteLength(paths.socket)} bytes; unix sockets allow ${MAX_SOCKET_PATH}`, attempted: paths.socket, hint: 'Use a shorter OCTOLAB_MICROVM_STATE_DIR.' });
    }
    signal.throwIfAborted();
    try {
      await deps.files.createDir(paths.dir);
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).code;
      throw new LabStateError({
        code: 'LAB_DIR_FAILED',
        summary: `cannot create the lab directory ${paths.dir}: ${errno ?? (error as Error).message}`,
        reason: (error as Error).message,
        hint: errno === 'ENOENT' ? `Create the state directory first: mkdir -p ${inputs.stateDir}` : `Check that ${inputs.stateDir} is writable by this user (\`octolab-verify doctor\`).`,
        cause: error,
      });
    }
    defer('remove the lab directory', () => deps.files.removeDir(paths.dir), { keepable: true });
    signal.throwIfAborted();
    await deps.files.createEmptyFile(paths.log);
  },
};

/**
 * rootfs-copy: copies the base rootfs into the lab (a reflink where the file system can, else a
 * sparse block copy) in the background, while firecracker starts and is configured; rootfs-drive
 * waits for it. The copy lies in the lab directory, which prepare's cleanup removes; an aborted
 * copy removes its partial target itself before it stops.
 */
export const rootfsCopyStep: BootStep = {
  name: 'rootfs-copy',
  title: 'copy the rootfs into the lab (while firecracker starts)',
  timeoutMs: 120_000,
  background: true,
  async run({ state, signal }) {
    const source = state.inputs.rootfsPath;
    if (source === null) throw new Error('no rootfs to copy (the prepare step must run first)');
    signal.throwIfAborted();
    state.copyMethod = await state.deps.files.copyRootfs(source, state.paths.rootfs, signal);
  },
};

/** netd: asks microvm-netd for the lab's TAP (and the guest's parameters, for the ip= argument); released at teardown. */
export const netdStep: BootStep = {
  name: 'netd',
  title: 'allocate a TAP from microvm-netd',
  timeoutMs: 15_000,
  async run({ state, signal, defer }) {
    const netd = state.deps.netd;
    if (!netd) throw new LabStateError({ code: 'NETD_NOT_CONFIGURED', summary: 'a network was asked for but no netd client was given' });
    let allocated = false;
    // Registered before the call: a request cut off by the deadline may still have created devices.
    defer(
      'release the TAP (microvm-netd)',
      async () => {
        await netd.release(state.inputs.labId).catch((error: unknown) => {
          if (allocated) throw error;
        });
      },
      { keepable: true },
    );
    const leased = await netd.alloc(state.inputs.labId, signal);
    allocated = true;
    state.network = withKernelIpArgument(leased, state.inputs.bootArgs);
  },
};

/**
 * spawn: starts firecracker in its own process group, writes the pid file, starts tailing the serial
 * log. As in prepare, each thing started registers its undoing the moment it exists.
 */
export const spawnStep: BootStep = {
  name: 'spawn',
  title: 'start firecracker',
  timeoutMs: 10_000,
  async run({ state, signal, defer }) {
    const { inputs, paths, deps } = state;
    defer('remove the API socket', () => deps.files.removeFile(paths.socket), { keepable: true });
    signal.throwIfAborted();
    const vmm = await deps.spawn({
      file: inputs.firecrackerBin,
      args: firecrackerArgs(paths, inputs.extraArgs),
      cwd: paths.dir,
      stdoutPath: paths.serial,
      stderrPath: paths.stderr,
      env: inputs.env,
    });
    state.vmm = vmm;
    defer(
      'stop firecracker (SIGKILL to its process group)',
      async () => {
        vmm.killGroup('SIGKILL');
        await vmm.exited;
      },
      { keepable: true },
    );
    signal.throwIfAborted();
    await deps.files.writeFileAtomic(paths.pidFile, `${vmm.pid}\n`);
    signal.throwIfAborted();
    const tail = await deps.files.tail(paths.serial, (bytes) => state.scanner.push(bytes));
    state.serialTail = tail;
    defer('stop reading the serial log', () => tail.close());
  },
};

/**
 * api-socket: creates the API client (loading node:http while firecracker starts, rather than after
 * its socket is up or before the spawn), then waits for the API socket to appear (directory events)
 * and accept connections, or for firecracker to die.
 */
export const apiSocketStep: BootStep = {
  name: 'api-socket',
  title: 'wait for the API socket',
  timeoutMs: 10_000,
  async run({ state, signal, defer }) {
    const api = state.deps.api(state.paths.socket);
    state.api = api;
    defer('close the API client', () => api.close());
    signal.throwIfAborted();
    await unlessExited(state.vmm, state.deps.files.waitForSocket(state.paths.socket, signal), 'waiting for its API socket');
  },
};

/** api-ready: the API answers GET / with state "Not started"; records the version. */
export const apiReadyStep: BootStep = {
  name: 'api-ready',
  title: 'API answers',
  timeoutMs: 10_000,
  async run({ state, signal }) {
    const api = state.api;
    if (!api) throw new Error('no API client (the api-socket step must run first)');
    const info = await unlessExited(state.vmm, api.describeInstance({ signal }), 'answering GET /');
    if (info.state !== 'Not started') {
      throw new VmmProcessError({ code: 'VMM_UNEXPECTED_STATE', summary: `GET / says the microVM is "${info.state}" before it was configured`, hint: 'Another process may own this socket; remove the lab directory and retry.' });
    }
    state.version = await unlessExited(state.vmm, api.getVersion({ signal }), 'answering GET /version');
  },
};
