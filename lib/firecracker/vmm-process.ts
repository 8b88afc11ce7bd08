/** How firecracker ended: an exit code, or the signal that killed it. */
export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

/** What to start: the program, its argument array, where it runs and where its output goes. */
export interface SpawnRequest {
  file: string;
  args: readonly string[];
  cwd: string;
  /** Receives stdout (the serial console); created, must not exist. */
  stdoutPath: string;
  /** Receives stderr; created, must not exist. */
  stderrPath: string;
  env?: Readonly<Record<string, string | undefined>>;
}

/** A started firecracker: its own session and process group (pgid = pid). */
export interface VmmProcess {
  readonly pid: number;
  /** Resolves when the process has ended and been reaped. */
  readonly exited: Promise<ProcessExit>;
  /** The exit, once it happened; null while running. */
  exit(): ProcessExit | null;
  /** Sends `signal` to the whole process group while the leader is still ours to signal. */
  killGroup(signal: NodeJS.Signals): void;
  /** Lets this runner exit while firecracker keeps running (KEEP mode). */
  detach(): void;
}

/**
 * Starts processes; the boot pipeline receives one (`BootDeps.spawn`) so tests can replace it.
 * The real one is `spawnVmm` in lib/host/vmm/spawn-vmm.ts.
 */
export type SpawnVmm = (request: SpawnRequest) => Promise<VmmProcess>;
