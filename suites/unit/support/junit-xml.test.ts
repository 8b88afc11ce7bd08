import { describe, expect, it } from 'vitest';
import { renderJUnit, xmlSafe } from '../../../lib/junit/junit-xml.ts';
import { countJUnit, renderClosingLine } from '../../../ci/junit-summary.ts';

describe('renderJUnit', () => {
  const xml = renderJUnit('octolab-microvm-verify host', [
    {
      name: '[host] suites/host/boot.test.ts',
      properties: { project: 'host', kernel_release: '6.1.0' },
      cases: [
        { name: 'boots', classname: 'host', status: 'skipped', message: 'needs firecracker: "firecracker" not found <on PATH>' },
        { name: 'fails', classname: 'host', status: 'failed', message: 'expected 2', details: 'at x.ts:1' },
        { name: 'passes', classname: 'host', status: 'passed', stdout: 'warn: jailer missing' },
      ],
    },
  ]);

  it('keeps the reason of a skip as the message attribute, escaped (vitest’s reporter drops it)', () => {
    expect(xml).toContain('<skipped message="needs firecracker: &quot;firecracker&quot; not found &lt;on PATH>"/>');
  });

  it('names the project and carries properties on the suite', () => {
    expect(xml).toContain('<testsuites name="octolab-microvm-verify host"');
    expect(xml).toContain('<property name="project" value="host"/>');
    expect(xml).toContain('<property name="kernel_release" value="6.1.0"/>');
  });

  it('writes failures with message and details, and records stdout on a passing case', () => {
    expect(xml).toContain('<failure message="expected 2"><![CDATA[at x.ts:1]]></failure>');
    expect(xml).toContain('<system-out><![CDATA[warn: jailer missing]]></system-out>');
  });

  it('is counted back by the CI summary exactly', () => {
    expect(countJUnit(xml)).toEqual({ passed: 1, failed: 1, skipped: 1 });
    expect(renderClosingLine(countJUnit(xml))).toBe('1 passed, 1 failed, 1 skipped');
  });

  it('strips ANSI escapes and XML-forbidden control characters and defuses a CDATA terminator', () => {
    expect(xmlSafe('\u001b[31mred\u001b[0m\u0007 ]]> end')).toBe('red ]] > end');
    const hostile = renderJUnit('x', [{ name: 's', cases: [{ name: 'c', classname: 'k', status: 'failed', message: '\u0000bad', details: 'a ]]> b' }] }]);
    expect(countJUnit(hostile)).toEqual({ passed: 0, failed: 1, skipped: 0 });
  });
});

describe('countJUnit', () => {
  it('counts self-closing cases as passed and does not let a later case’s skip leak into an earlier one', () => {
    const xml = '<testsuite><testcase name="a"/><testcase name="b"><skipped/></testcase><testcase name="c"><error message="x"/></testcase></testsuite>';
    expect(countJUnit(xml)).toEqual({ passed: 1, failed: 1, skipped: 1 });
  });
});
