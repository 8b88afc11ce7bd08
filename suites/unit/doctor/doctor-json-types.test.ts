import { describe, expectTypeOf, it } from 'vitest';
import type { DoctorCheckJson, DoctorJson } from '../../../lib/doctor/render-json.ts';
import type { DoctorReport } from '../../../lib/doctor/report.ts';
import type { Severity } from '../../../lib/doctor/check.ts';

/** Upstream's DoctorReport.to_dict() and DoctorCheck.to_dict(), as existing consumers read them. */
interface UpstreamCheck {
  name: string;
  ok: boolean;
  severity: 'info' | 'warn' | 'fatal';
  details: string;
  hint: string;
}
interface UpstreamReport {
  ok: boolean;
  checks: UpstreamCheck[];
  summary: string;
  generated_at: string;
  fatal_count: number;
  warn_count: number;
}

describe('the doctor JSON shape (pinned by type tests)', () => {
  it('keeps every upstream report field with its name and type', () => {
    expectTypeOf<Omit<Pick<DoctorJson, keyof UpstreamReport>, 'checks'>>().toEqualTypeOf<Omit<UpstreamReport, 'checks'>>();
    expectTypeOf<DoctorJson['checks']>().toEqualTypeOf<DoctorCheckJson[]>();
    expectTypeOf<DoctorJson>().toExtend<UpstreamReport>();
  });

  it('keeps every upstream check field with its name and type; severity is exactly info | warn | fatal', () => {
    expectTypeOf<Pick<DoctorCheckJson, keyof UpstreamCheck>>().toEqualTypeOf<UpstreamCheck>();
    expectTypeOf<Severity>().toEqualTypeOf<'info' | 'warn' | 'fatal'>();
  });

  it('pins the additions', () => {
    expectTypeOf<DoctorCheckJson['skipped']>().toEqualTypeOf<string | null>();
    expectTypeOf<DoctorCheckJson['title']>().toEqualTypeOf<string>();
    expectTypeOf<DoctorCheckJson['duration_ms']>().toEqualTypeOf<number>();
    expectTypeOf<DoctorCheckJson['facts']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<DoctorJson['host']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<DoctorJson['exit_code']>().toEqualTypeOf<number>();
    expectTypeOf<DoctorReport['exit_code']>().toEqualTypeOf<0 | 2 | 3>();
    expectTypeOf<DoctorJson['runtime']>().toEqualTypeOf<'compose' | 'firecracker'>();
  });
});
