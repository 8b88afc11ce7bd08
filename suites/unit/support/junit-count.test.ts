import { describe, expect, it } from 'vitest';
import { countJUnit, listCases } from '../../../lib/junit/count.ts';

const XML = `<?xml version="1.0"?>
<testsuites>
  <testsuite name="host">
    <testcase classname="host: a.test.ts" name="outer > inner &amp; more" time="0.1"/>
    <testcase classname="host: b.test.ts" name="needs &quot;root&quot; > skips" time="0">
      <skipped message="no /dev/kvm: load kvm_intel &gt; then retry"/>
    </testcase>
    <testcase classname="host: c.test.ts" name="fails" time="1"><failure message="expected 1 &lt; 0" type="AssertionError">trace with <b>tags</b></failure></testcase>
    <testcase classname="host: d.test.ts" name="errors" time="1"><error message="worker crashed"/></testcase>
    <testcase classname="host: e.test.ts" name="prints" time="1"><system-out>skipped: not really</system-out></testcase>
  </testsuite>
</testsuites>`;

describe('reading JUnit back', () => {
  it('lists each case with its status and message, with ">" inside attributes and entities decoded', () => {
    expect(listCases(XML)).toEqual([
      { classname: 'host: a.test.ts', name: 'outer > inner & more', status: 'passed', message: '' },
      { classname: 'host: b.test.ts', name: 'needs "root" > skips', status: 'skipped', message: 'no /dev/kvm: load kvm_intel > then retry' },
      { classname: 'host: c.test.ts', name: 'fails', status: 'failed', message: 'expected 1 < 0' },
      { classname: 'host: d.test.ts', name: 'errors', status: 'failed', message: 'worker crashed' },
      { classname: 'host: e.test.ts', name: 'prints', status: 'passed', message: '' },
    ]);
  });

  it('counts the same cases', () => {
    expect(countJUnit(XML)).toEqual({ passed: 2, failed: 2, skipped: 1 });
  });

  it('keeps a character reference beyond Unicode as written instead of throwing', () => {
    const xml = '<testsuite><testcase classname="c" name="&#x110000; &#99999999999999; &#x41;"><skipped message="&#1114111;"/></testcase></testsuite>';
    expect(listCases(xml)).toEqual([{ classname: 'c', name: '&#x110000; &#99999999999999; A', status: 'skipped', message: '\u{10FFFF}' }]);
  });

  it('finds nothing in a document without cases', () => {
    expect(listCases('<testsuites/>')).toEqual([]);
  });
});
