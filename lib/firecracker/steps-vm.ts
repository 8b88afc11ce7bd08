import type { BootState, BootStep } from './boot-state.ts';
import { VmmProcessError } from './errors.ts';
import { describeExit, exitedError, meaningOfExit, unlessExited, valueOrExit } from './process-race.ts';
import { diagnoseMissingMarker } from './marker-diagnosis.ts';
import { bootArgsWith } from './netd-lease.ts';

/** The id of the root drive and of the network interface this project configures. */
export const ROOT_DRIVE_ID = 'rootfs';
export const NET_IFACE_ID = 'eth0';

function api(state: BootState) {
  if (!state.api) throw new Error('the API client is not ready (the api-ready step must run first)');
  return state.api;
}

/** One API call as a step of its own, failing if firecracker exits meanwhile. */
function apiStep(name: string, title: string, call: (state: BootState, signal: AbortSignal) => Promise<unknown>): BootStep {
  return {
    name,
    title,
    timeoutMs: 10_000,
    async run({ state, signal }) {
      await unlessExited(state.vmm, call(state, signal), `handling the "${name}" stage (${title})`);
    },
  };
}

/** logger: PUT /logger into the lab's firecracker.log (created by prepare; Firecracker never creates it). */
export const loggerStep = apiStep('logger', 'configure the logger', (s, signal) =>
  api(s).putLogger({ log_path: s.paths.log, level: 'Info', show_level: true, show_log_origin: false }, { signal }),
);

/** machine: PUT /machine-config. */
export const machineStep = apiStep('machine', 'configure vCPUs and memory', (s, signal) =>
  api(s).putMachineConfig({ vcpu_count: s.inputs.vcpuCount, mem_size_mib: s.inputs.memSizeMib, smt: false }, { signal }),
);

/** boot-source: PUT /boot-source with the kernel and the boot args (plus the network's ip= argument, if any). */
export const bootSourceStep = apiStep('boot-source', 'configure the kernel and boot args', (s, signal) =>
  api(s).putBootSource({ kernel_image_path: s.inputs.kernelPath!, boot_args: bootArgsWith(s.inputs.bootArgs, s.network) }, { signal }),
);

/** rootfs-drive: PUT /drives/rootfs with the lab's copy, read-write, as the root device; begins once rootfs-copy has finished. */
export const rootDriveStep: BootStep = {
  ...apiStep('rootfs-drive', 'attach the rootfs copy', (s, signal) =>
    api(s).putDrive({ drive_id: ROOT_DRIVE_ID, path_on_host: s.paths.rootfs, is_root_device: true, is_read_only: false }, { signal }),
  ),
  needs: ['rootfs-copy'],
};

/** network: PUT /network-interfaces/eth0 on the TAP netd allocated, with the guest MAC as OctoLab's backend derives it. */
export const networkStep = apiStep('network', 'attach eth0 to the TAP', (s, signal) => {
  if (!s.network) throw new Error('no TAP was allocated (the netd step must run first)');
  const mac = s.network.guest_mac;
  return api(s).putNetworkInterface({ iface_id: NET_IFACE_ID, host_dev_name: s.network.tap, ...(mac ? { guest_mac: mac } : {}) }, { signal });
});

/** instance-start: PUT /actions InstanceStart (synchronous: 204 once the vCPUs run). */
export const instanceStartStep: BootStep = {
  name: 'instance-start',
  title: 'start the instance',
  timeoutMs: 10_000,
  async run({ state, signal }) {
    if (!state.vmm) throw new Error('no firecracker process (the spawn step must run first)');
    const answer = await valueOrExit(state.vmm, api(state).action('InstanceStart', { signal }));
    // Exit 0 means the guest ran and rebooted: only a started instance gets there, even if its 204 was not read first.
    if ('exit' in answer && answer.exit.code !== 0) throw exitedError(answer.exit, 'starting the instance');
  },
};

/** running: GET / says "Running". */
export const runningStep: BootStep = {
  name: 'running',
  title: 'instance is running',
  timeoutMs: 10_000,
  async run({ state, signal }) {
    if (!state.vmm) throw new Error('no firecracker process (the spawn step must run first)');
    const answer = await valueOrExit(state.vmm, api(state).describeInstance({ signal }));
    // InstanceStart's 204 already meant "vCPUs running"; a guest that has finished since is judged by the next stages.
    if ('exit' in answer) return;
    const info = answer.value;
    if (info.state !== 'Running') {
      throw new VmmProcessError({ code: 'VMM_NOT_RUNNING', summary: `after InstanceStart, GET / says "${info.state}", not "Running"`, hint: 'Firecracker accepted InstanceStart but did not run the vCPUs; see firecracker.log.' });
    }
  },
};

/** serial-marker: waits for the marker as a line of its own on the serial console (stream reads, no polling). */
export const serialMarkerStep: BootStep = {
  name: 'serial-marker',
  title: 'wait for the marker on the serial console',
  async run({ state, signal }) {
    const { scanner, vmm } = state;
    state.markerLine = await new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      scanner.onFound((line) => {
        signal.removeEventListener('abort', onAbort);
        resolve(line);
      });
      void vmm?.exited.then(async (exit) => {
        // Everything firecracker wrote is in the file now; read it before judging.
        await state.serialTail?.drain();
        const found = scanner.scan().found;
        signal.removeEventListener('abort', onAbort);
        if (found) resolve(found);
        else reject(diagnoseMissingMarker(scanner, state.inputs.bootArgs, exit));
      });
    });
  },
};

/** guest-exit: the guest reboots (reboot=k) and firecracker exits 0. */
export const guestExitStep: BootStep = {
  name: 'guest-exit',
  title: 'guest reboots and firecracker exits 0',
  timeoutMs: 15_000,
  async run({ state, signal }) {
    const vmm = state.vmm;
    if (!vmm) throw new Error('no firecracker process (the spawn step must run first)');
    const exit = await Promise.race([
      vmm.exited,
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
    ]);
    state.exit = exit;
    if (exit.code !== 0) {
      const meaning = meaningOfExit(exit);
      throw new VmmProcessError({
        code: 'VMM_EXIT_NONZERO',
        summary: `firecracker exited with ${describeExit(exit)} after the guest's output, not 0`,
        reason: meaning ? `${describeExit(exit)}: ${meaning}` : describeExit(exit),
        hint: 'A clean guest reboot (reboot=k) ends firecracker with 0; see firecracker.log for what stopped it.',
      });
    }
  },
};
