import { type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import { runDoctorCommand } from '../../../../lib/cli/commands/doctor.ts';
import { captureIo } from '../../../support/captured-io.ts';
import { FIXED_CLOCK, FIXED_FACTS } from '../doctor-support.ts';

/** The env the seed's setup writes, so the loaded config is the scenario's. */
export const SETUP_ENV = {
  OCTOLAB_RUNTIME: 'firecracker',
  OCTOLAB_MICROVM_KERNEL_PATH: '/var/lib/octolab/firecracker/vmlinux',
  OCTOLAB_MICROVM_ROOTFS_BASE_PATH: '/var/lib/octolab/firecracker/rootfs.ext4',
};

/** What one in-process doctor run printed and returned. */
export interface DoctorRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `doctor ARGS` in-process on a scenario's FakeHost with the fixed clock and facts. */
export async function runDoctorOn(s: DoctorScenario, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<DoctorRun> {
  const captured = captureIo({ argv: args, env: options.env ?? SETUP_ENV, cwd: options.cwd ?? '/repo' });
  const code = await runDoctorCommand(captured.io, args, { host: s.host, clock: FIXED_CLOCK, gatherFacts: async () => ({ ...FIXED_FACTS }) });
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}
