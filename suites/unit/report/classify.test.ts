import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.ts';
import { classifyReport } from '../../../lib/report/classify.ts';
import { FLEET_DIR } from './fleet-fixtures.ts';

const read = (host: string, file: string) => readFileSync(path.join(FLEET_DIR, host, file), 'utf8');

function refusal(text: string, file = 'in/x.json'): { summary: string; hint: string } {
  try {
    classifyReport(file, text);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return { summary: (error as UsageError).summary, hint: (error as UsageError).hint ?? '' };
  }
  throw new Error('the input was accepted');
}

describe('recognising a report file by its content', () => {
  it('reads the doctor JSON, the boot JSON and JUnit (through lib/junit\'s reader) of a recorded host', () => {
    expect(classifyReport('doctor.json', read('host-ready', 'doctor.json'))).toMatchObject({ kind: 'doctor', doctor: { ok: true } });
    expect(classifyReport('boot.json', read('host-boot-failed', 'boot.json'))).toMatchObject({ kind: 'boot', boot: { ok: false, failed_stage: 'serial-marker' } });
    const junit = classifyReport('junit-host.xml', read('host-no-kvm', 'junit-host.xml'));
    expect(junit.kind === 'junit' && junit.cases.filter((c) => c.status === 'skipped')).toHaveLength(2);
  });

  it('reads verify.json', () => {
    const verify = { tool: { name: 'octolab-verify', version: '0.2.0' }, ok: true, exit_code: 0, verdict: 'ready', doctor: { summary: 'x' }, stages: [{ name: 'doctor', title: 'run the doctor', status: 'passed', start_ms: 0, duration_ms: 1 }] };
    expect(classifyReport('verify.json', JSON.stringify(verify))).toMatchObject({ kind: 'verify' });
  });

  it.each([
    ['', /in\/x\.json: is empty/, /the step that writes it failed/],
    ['{"ok": tru', /in\/x\.json: is not valid JSON \(/, /write it again, or leave it out/],
    ['{"name": "octolab-microvm-verify", "version": "0.2.0"}', /is JSON but not a doctor report \(doctor --json\), a boot result \(boot --json\), verify\.json, or JUnit XML/, /leave it out/],
    ['{"labId": "x", "stages": [], "totalMs": 1}', /old camelCase shape/, /octolab-verify boot --json > boot\.json/],
    ['{"lab_id": "x", "ok": true, "total_ms": 1, "failed_stage": null, "stages": [{"name": "prepare"}]}', /looks like a boot result whose stages but its "title" field is missing/, /boot --json/],
    ['{"checks": [], "generated_at": "now", "ok": "yes"}', /looks like a doctor report but its "ok" field/, /doctor --json > doctor\.json/],
    ['<html><body>hi</body></html>', /is XML but not JUnit/, /junit-\*\.xml/],
    ['Error: something went wrong', /is neither JSON nor XML/, /leave it out/],
  ])('refuses %j naming the file and the fix', (text, summary, hint) => {
    const error = refusal(text);
    expect(error.summary).toMatch(summary);
    expect(error.hint).toMatch(hint);
  });
});
