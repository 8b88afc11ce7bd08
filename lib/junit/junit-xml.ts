import type { Builder, TestCase } from 'junit-report-builder';

// junit-report-builder is CommonJS (`module.exports = builder`) while its types claim an ES default
// export; requiring it is the one way that is right at run time and at type-check time. Required
// on first use (it takes ~0.1 s to load), so a doctor run without --junit never pays for it.
let junitRoot: Builder | undefined;
const loadJunitRoot = (): Builder => (junitRoot ??= process.getBuiltinModule('node:module').createRequire(import.meta.url)('junit-report-builder') as Builder);

/** The outcome of one JUnit test case. */
export type CaseStatus = 'passed' | 'failed' | 'skipped';

/** One test case as this project reports it. */
export interface JUnitCase {
  name: string;
  classname: string;
  /** Seconds. */
  time?: number;
  status: CaseStatus;
  /** Failure message, or the reason of a skip (written as `<skipped message="…">`). */
  message?: string;
  /** Failure details (stack, captured output) for the failure body. */
  details?: string;
  /** Written as <system-out>, e.g. a warning recorded on a passing check. */
  stdout?: string;
  file?: string;
}

/** One test suite: a name, properties (host facts, project) and its cases. */
export interface JUnitSuite {
  name: string;
  properties?: Record<string, string>;
  time?: number;
  cases: JUnitCase[];
}

interface XmlNode {
  name?: string;
  children?: XmlNode[];
  att(name: string, value: string): XmlNode;
}

/**
 * Gives a skipped case its reason. The library writes a bare `<skipped/>` and keeps no message,
 * so the case's build step is wrapped to add `message` to the element it has just created.
 */
function skipWithReason(testCase: TestCase, reason: string): void {
  testCase.skipped();
  const build = testCase.build.bind(testCase);
  testCase.build = (parent) => {
    const element = build(parent) as unknown as XmlNode;
    element.children?.find((child) => child.name === 'skipped')?.att('message', reason);
    return element as unknown as ReturnType<TestCase['build']>;
  };
}

// ANSI escapes and the control characters XML 1.0 forbids; "]]>" would end a CDATA section early.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Makes any text safe for an XML attribute or CDATA section. */
export function xmlSafe(text: string): string {
  return text.replace(ANSI, '').replace(FORBIDDEN, '').replaceAll(']]>', ']] >');
}

/** Renders suites as one JUnit XML document (a `<testsuites>` root named `name`). Pure. */
export function renderJUnit(name: string, suites: readonly JUnitSuite[]): string {
  const builder = loadJunitRoot().newBuilder().name(xmlSafe(name));
  for (const suite of suites) {
    const node = builder.testSuite().name(xmlSafe(suite.name));
    if (suite.time !== undefined) node.time(suite.time);
    for (const [key, value] of Object.entries(suite.properties ?? {})) node.property(xmlSafe(key), xmlSafe(value));
    for (const item of suite.cases) {
      const testCase = node.testCase().className(xmlSafe(item.classname)).name(xmlSafe(item.name));
      if (item.time !== undefined) testCase.time(item.time);
      if (item.file) testCase.file(item.file);
      if (item.status === 'failed') {
        testCase.failure(xmlSafe(item.message ?? 'failed'));
        if (item.details) testCase.stacktrace(xmlSafe(item.details));
      } else if (item.status === 'skipped') {
        skipWithReason(testCase, xmlSafe(item.message ?? 'skipped without a reason'));
      }
      if (item.stdout) testCase.standardOutput(xmlSafe(item.stdout));
    }
  }
  return builder.build();
}
