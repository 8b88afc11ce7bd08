import type { Host } from '../host/types.ts';
import type { FirecrackerApi } from './api-client.ts';
import type { CopyMethod, FileTail, LabFs } from './lab-fs.ts';
import type { LabPaths } from './lab-layout.ts';
import type { NetdLease, VmNetwork } from './netd-lease.ts';
import type { Step } from './run-steps.ts';
import type { MarkerMatch, SerialLine, SerialLineScanner } from './serial-lines.ts';
import type { ProcessExit, SpawnVmm, VmmProcess } from './vmm-process.ts';

/** What to boot, resolved from config and command line. */
export interface BootInputs {
  /** The lab id (lower-case UUID); also netd's lab_id. */
  labId: string;
  firecrackerBin: string;
  kernelPath: string | null;
  rootfsPath: string | null;
  stateDir: string;
  vcpuCount: number;
  memSizeMib: number;
  bootArgs: string;
  marker: string;
  markerMatch: MarkerMatch;
  /** Appended to firecracker's command line (e.g. `--` and a fake's switches, which firecracker ignores). */
  extraArgs: readonly string[];
  /** Firecracker's environment; default this process's. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Everything the steps reach the world through. */
export interface BootDeps {
  host: Host;
  /** Creates the API client for a socket. */
  api: (socketPath: string) => FirecrackerApi;
  spawn: SpawnVmm;
  files: LabFs;
  /** Present when the boot asks for a TAP (`--net`). */
  netd?: NetdLease;
}

/** The boot's working state, filled in step by step. */
export interface BootState {
  inputs: BootInputs;
  deps: BootDeps;
  paths: LabPaths;
  scanner: SerialLineScanner;
  copyMethod?: CopyMethod;
  network?: VmNetwork;
  vmm?: VmmProcess;
  serialTail?: FileTail;
  api?: FirecrackerApi;
  version?: string;
  markerLine?: SerialLine;
  exit?: ProcessExit;
}

/** A boot step. */
export type BootStep = Step<BootState>;
