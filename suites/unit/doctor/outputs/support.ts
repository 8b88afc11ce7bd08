import { PassThrough } from 'node:stream';
import { type DoctorScenario } from '../../../../fixtures/doctor-hosts.ts';
import { runDoctorCommand } from '../../../../lib/cli/commands/doctor.ts';
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
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  err.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const io = { argv: args, env: options.env ?? SETUP_ENV, stdout: Object.assign(out, { isTTY: false }), stderr: err, cwd: options.cwd ?? '/repo' };
  const code = await runDoctorCommand(io, args, { host: s.host, clock: FIXED_CLOCK, gatherFacts: async () => ({ ...FIXED_FACTS }) });
  return { code, stdout, stderr };
}
