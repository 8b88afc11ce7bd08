import { describe, expect, it } from 'vitest';
import { TOOL_VERSION } from '../../../lib/version.ts';
import { bootResultToJson, type BootResult } from '../../../lib/firecracker/boot-result.ts';
import { BootStageError } from '../../../lib/firecracker/errors.ts';
import { vmNetwork } from '../../../fixtures/fake-netd-lease.ts';
import { renderBootText, renderMs, renderStageLine } from '../../../lib/firecracker/render-boot-result.ts';

const LAB = '0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const DIR = `/state/lab_${LAB}`;

function result(overrides: Partial<BootResult> = {}): BootResult {
  return {
    ok: true,
    labId: LAB,
    labDir: DIR,
    socketPath: `${DIR}/firecracker.sock`,
    serialLogPath: `${DIR}/serial.log`,
    logPath: `${DIR}/firecracker.log`,
    pid: 4242,
    kept: false,
    marker: 'Hello, World!',
    markerLine: { lineNumber: 19, text: 'Hello, World!' },
    firecrackerVersion: '1.7.0',
    rootfsCopy: 'sparse-copy',
    network: null,
    exit: { code: 0, signal: null },
    stages: [
      { name: 'prepare', title: 'check the inputs and create the lab directory', startMs: 0.04, ms: 12.4, status: 'passed' },
      { name: 'serial-marker', title: 'wait for the marker on the serial console', startMs: 12.44, ms: 1520, status: 'passed' },
    ],
    totalMs: 1532.4,
    cleanupErrors: [],
    failedStage: null,
    error: null,
    hint: null,
    serialTail: null,
    logTail: null,
    stderrTail: null,
    ...overrides,
  };
}

describe('rendering a boot result', () => {
  it('renders a passing boot with its stages and ends on the marker line', () => {
    expect(renderBootText(result())).toBe(
      [
        `boot passed in 1.53 s (lab ${LAB}, firecracker 1.7.0, rootfs sparse-copy)`,
        '  ✓ prepare            12 ms  check the inputs and create the lab directory',
        '  ✓ serial-marker     1.52 s  wait for the marker on the serial console',
        'marker seen on serial line 19:',
        'Hello, World!',
        '',
      ].join('\n'),
    );
  });

  it('renders a failure with the stage, the layered error and the cleanup errors', () => {
    const error = new BootStageError('api-socket', { code: 'BOOT_STAGE_TIMEOUT', summary: 'boot stage "api-socket" (wait for the API socket) timed out after 10000 ms', hint: 'see the log' });
    const text = renderBootText(
      result({ ok: false, failedStage: 'api-socket', error, hint: 'see the log', markerLine: null, cleanupErrors: [{ name: 'remove the lab directory', message: 'EBUSY' }], stages: [{ name: 'rootfs-copy', title: 'copy the rootfs into the lab (while firecracker starts)', startMs: 2.9, ms: 35.2, status: 'stopped' }, { name: 'api-socket', title: 'wait for the API socket', startMs: 3, ms: 10000, status: 'failed' }, { name: 'api-ready', title: 'API answers', startMs: null, ms: 0, status: 'not-run' }] }),
    );
    expect(text).toMatch(/^boot FAILED at stage "api-socket" after 1\.53 s/);
    expect(text).toContain('  ✗ api-socket       10.00 s  wait for the API socket');
    expect(text).toContain('  · api-ready        not run  API answers');
    expect(text).toContain('  - rootfs-copy        35 ms  copy the rootfs into the lab (while firecracker starts) (stopped: the boot ended at another stage)');
    expect(text).toContain('error: boot stage "api-socket" (wait for the API socket) timed out after 10000 ms\n  hint: see the log');
    expect(text).toContain('cleanup failed: remove the lab directory: EBUSY');
    expect(text).not.toContain('marker seen');
  });

  it('tells how to reach and remove a kept VM, network included', () => {
    const text = renderBootText(result({ kept: true, exit: null, network: vmNetwork({ tap: 'otp0b1e2c3d4e', bridge: 'obr0b1e2c3d4e' }) }), { stages: false });
    expect(text).toContain(`  remove it:   kill -KILL -- -4242; rm -rf ${DIR}`);
    expect(text).toContain('TAP otp0b1e2c3d4e stays allocated');
    expect(text).toContain(`marker seen on serial line 19 of ${DIR}/serial.log:`);
    expect(text).not.toContain('✓');
  });

  it('flattens the error for JSON', () => {
    const error = new BootStageError('netd', { code: 'BOOT_STAGE_FAILED', summary: 'x', reason: 'LAB_COLLISION' });
    expect(bootResultToJson(result({ ok: false, error })).error).toEqual({ code: 'BOOT_STAGE_FAILED', stage: 'netd', summary: 'x', attempted: null, reason: 'LAB_COLLISION', hint: null });
  });

  it('writes snake_case JSON with the tool, every stage\'s start and duration rounded to 0.1 ms', () => {
    // The network is netd's view of the lab, passed through as it is (its fields are snake_case already).
    const network = { tap: 'otp0b1e2c3d4e', bridge: 'obr0b1e2c3d4e' } as BootResult['network'];
    const json = bootResultToJson(result({ network }));
    expect(json).toEqual({
      tool: { name: 'octolab-verify', version: TOOL_VERSION },
      ok: true,
      lab_id: LAB,
      lab_dir: DIR,
      socket_path: `${DIR}/firecracker.sock`,
      serial_log_path: `${DIR}/serial.log`,
      log_path: `${DIR}/firecracker.log`,
      pid: 4242,
      kept: false,
      marker: 'Hello, World!',
      marker_line: { line_number: 19, text: 'Hello, World!' },
      firecracker_version: '1.7.0',
      rootfs_copy: 'sparse-copy',
      network,
      exit: { code: 0, signal: null },
      stages: [
        { name: 'prepare', title: 'check the inputs and create the lab directory', status: 'passed', start_ms: 0, duration_ms: 12.4 },
        { name: 'serial-marker', title: 'wait for the marker on the serial console', status: 'passed', start_ms: 12.4, duration_ms: 1520 },
      ],
      total_ms: 1532.4,
      cleanup_errors: [],
      failed_stage: null,
      error: null,
      hint: null,
      serial_tail: null,
      log_tail: null,
      stderr_tail: null,
    });
  });

  it('gives a stage that did not run a null start', () => {
    const json = bootResultToJson(result({ ok: false, stages: [{ name: 'api-ready', title: 'API answers', startMs: null, ms: 0, status: 'not-run' }] }));
    expect(json.stages).toEqual([{ name: 'api-ready', title: 'API answers', status: 'not-run', start_ms: null, duration_ms: 0 }]);
  });

  it.each([
    [0.4, '0 ms'],
    [999, '999 ms'],
    [1000, '1.00 s'],
    [61234, '61.23 s'],
  ])('renders %f ms as %s', (ms, text) => {
    expect(renderMs(ms)).toBe(text);
    expect(renderStageLine({ name: 'x', title: 't', ms, status: 'passed' })).toContain(text);
  });
});
