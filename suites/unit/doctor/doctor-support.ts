import type { DoctorScenario } from '../../../fixtures/doctor-hosts.ts';
import { runDoctor, type DoctorClock, type RunDoctorOptions } from '../../../lib/doctor/run-doctor.ts';
import type { DoctorReport } from '../../../lib/doctor/report.ts';

/** A clock that never moves: every duration is 0 and the timestamp is fixed, so outputs are stable. */
export const FIXED_CLOCK: DoctorClock = { now: () => 0, isoNow: () => '2024-05-01T12:00:00.000Z' };

/** Host facts pinned for golden files (the real ones depend on the machine running the tests). */
export const FIXED_FACTS = {
  kernel_release: '6.1.0-13-amd64',
  arch: 'x64',
  cpu_vendor: 'GenuineIntel',
  cpu_model: 'Intel(R) Xeon(R) Gold 6248',
  cpu_virt_flags: 'vmx',
  running_under_hypervisor: 'no',
  kvm_nested_param: 'Y',
  kvm_device: 'present',
  firecracker_version: 'Firecracker v1.7.0',
};

/** Runs the doctor on a scenario with the fixed clock and facts. */
export function runStable(s: DoctorScenario, options: Partial<RunDoctorOptions> = {}): Promise<DoctorReport> {
  return runDoctor({ host: s.host, config: s.config, clock: FIXED_CLOCK, gatherFacts: async () => ({ ...FIXED_FACTS }), ...options });
}
