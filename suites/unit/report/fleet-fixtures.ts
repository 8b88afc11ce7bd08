import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DoctorJson } from '../../../lib/doctor/render-json.ts';
import { realReportFiles } from '../../../lib/host/report-inputs.ts';
import { collectHosts, type HostInput } from '../../../lib/report/collect.ts';
import type { CellStatus } from '../../../lib/report/fleet.ts';

/** The recorded fleet (fixtures/fleet/regenerate.ts writes it). */
export const FLEET_DIR = fileURLToPath(new URL('../../../fixtures/fleet', import.meta.url));
/** The project's root, where the launcher and reports/ are. */
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The recorded hosts, by the directory names the report uses. */
export const HOSTS = ['host-boot-failed', 'host-no-kvm', 'host-ready'] as const;

/** Reads the recorded fleet as `report fixtures/fleet` does. */
export function recordedFleet(): Promise<HostInput[]> {
  return collectHosts([path.relative(ROOT, FLEET_DIR)], realReportFiles, ROOT);
}

/** A recorded host's doctor.json. */
export function doctorOf(host: string): DoctorJson {
  return JSON.parse(readFileSync(path.join(FLEET_DIR, host, 'doctor.json'), 'utf8')) as DoctorJson;
}

/** What a doctor.json check says, as a matrix cell status (the test's own reading, not the library's). */
export function expectedCell(check: DoctorJson['checks'][number]): CellStatus {
  return check.skipped ? 'skip' : check.severity === 'warn' ? 'warn' : check.ok ? 'ok' : 'fail';
}
