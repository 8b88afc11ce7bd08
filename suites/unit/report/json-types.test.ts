import { describe, expectTypeOf, it } from 'vitest';
import type { BootJson } from '../../../lib/firecracker/boot-result.ts';
import type { StageJson, ToolJson } from '../../../lib/json-style.ts';
import type { VerifyJson } from '../../../lib/verify/verify-json.ts';

/** The boot and verify JSON that `report` reads and CI stores, pinned: renaming a key breaks this file first. */
describe('the boot and verify JSON shapes (pinned by type tests)', () => {
  it('boot --json has exactly its snake_case keys, a tool and a stage timeline', () => {
    expectTypeOf<keyof BootJson>().toEqualTypeOf<
      | 'tool' | 'ok' | 'lab_id' | 'lab_dir' | 'socket_path' | 'serial_log_path' | 'log_path' | 'pid' | 'kept' | 'marker' | 'marker_line'
      | 'firecracker_version' | 'rootfs_copy' | 'network' | 'exit' | 'stages' | 'total_ms' | 'cleanup_errors' | 'failed_stage' | 'error'
      | 'hint' | 'serial_tail' | 'log_tail' | 'stderr_tail'
    >();
    expectTypeOf<BootJson['marker_line']>().toEqualTypeOf<{ line_number: number; text: string } | null>();
    expectTypeOf<BootJson['tool']>().toEqualTypeOf<ToolJson>();
    expectTypeOf<BootJson['stages']>().toEqualTypeOf<StageJson[]>();
  });

  it('a stage is {name, title, status, start_ms, duration_ms}, start_ms null when it did not run', () => {
    expectTypeOf<StageJson>().toEqualTypeOf<{ name: string; title: string; status: 'passed' | 'failed' | 'stopped' | 'not-run'; start_ms: number | null; duration_ms: number }>();
  });

  it('verify --json has its verdict, the doctor summary, the suites and the timeline', () => {
    expectTypeOf<keyof VerifyJson>().toEqualTypeOf<'tool' | 'ok' | 'exit_code' | 'verdict' | 'generated_at' | 'reports_dir' | 'doctor' | 'suites' | 'stages' | 'total_ms'>();
    expectTypeOf<VerifyJson['verdict']>().toEqualTypeOf<'suites-failed' | 'not-ready' | 'strict-warning' | 'ready'>();
    expectTypeOf<keyof NonNullable<VerifyJson['suites']>>().toEqualTypeOf<'command' | 'exit_code' | 'signal' | 'report_file' | 'reported' | 'ok' | 'passed' | 'failed' | 'skipped' | 'suites' | 'failures' | 'skips'>();
    expectTypeOf<VerifyJson['stages']>().toEqualTypeOf<StageJson[]>();
  });
});
