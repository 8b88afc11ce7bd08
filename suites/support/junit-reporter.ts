import path from 'node:path';
import type { Reporter, TestModule, TestCase } from 'vitest/node';
import type { SerializedError } from 'vitest';
import { renderJUnit, type JUnitCase, type JUnitSuite } from '../../lib/junit/junit-xml.ts';
import { writeReportFile } from '../../lib/host/report-file.ts';
import { createRealHost, gatherHostFacts, type HostFacts } from '../../lib/host/index.ts';
import { TOOL_NAME, TOOL_VERSION } from '../../lib/version.ts';

/** Options: where to write, and how to learn the host facts (replaced in the reporter's own test). */
export interface JUnitReporterOptions {
  /** Default: OCTOLAB_REPORTS_DIR (set by `octolab-verify verify --reports DIR`), else reports/. */
  outputDir?: string;
  hostFacts?: () => Promise<HostFacts>;
}

/**
 * Writes reports/junit-<project>.xml for each vitest project that ran. Unlike vitest's own JUnit
 * reporter it names the project, keeps every skip's reason (`<skipped message>`) and carries
 * the host facts and the tool's name and version as properties of every suite.
 */
export default class ProjectJUnitReporter implements Reporter {
  private readonly outputDir: string;
  private readonly hostFacts: () => Promise<HostFacts>;

  constructor(options: JUnitReporterOptions = {}) {
    this.outputDir = path.resolve(options.outputDir ?? (process.env.OCTOLAB_REPORTS_DIR || 'reports'));
    this.hostFacts =
      options.hostFacts ??
      (() => gatherHostFacts(createRealHost(), { firecrackerBin: process.env.OCTOLAB_FIRECRACKER_BIN ?? 'firecracker' }));
  }

  async onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): Promise<void> {
    const facts = await this.hostFacts();
    const byProject = new Map<string, JUnitSuite[]>();
    for (const module of modules) {
      const project = module.project.name || 'default';
      const suites = byProject.get(project) ?? [];
      suites.push(moduleToSuite(module, project, facts));
      byProject.set(project, suites);
    }
    // Each unhandled error goes to the project of the test file it came from (vitest records the
    // file as VITEST_TEST_PATH); one without a known file goes to the first project.
    const unhandledBy = new Map<string, SerializedError[]>();
    for (const error of unhandledErrors) {
      const file = (error as { VITEST_TEST_PATH?: unknown }).VITEST_TEST_PATH;
      const owner = modules.find((m) => m.moduleId === file)?.project.name || byProject.keys().next().value || 'default';
      unhandledBy.set(owner, [...(unhandledBy.get(owner) ?? []), error]);
    }
    for (const [project, errors] of unhandledBy) {
      const suites = byProject.get(project) ?? [];
      suites.push({
        name: `[${project}] unhandled errors`,
        properties: { project, ...facts, tool_name: TOOL_NAME, tool_version: TOOL_VERSION },
        cases: errors.map((error, index) => ({
          name: `unhandled error ${index + 1}: ${error.message}`,
          classname: `${project}: unhandled`,
          status: 'failed',
          message: error.message,
          details: error.stack,
        })),
      });
      byProject.set(project, suites);
    }
    for (const [project, suites] of byProject) {
      const file = path.join(this.outputDir, `junit-${project}.xml`);
      await writeReportFile(file, renderJUnit(`octolab-microvm-verify ${project}`, suites));
    }
  }
}

function moduleToSuite(module: TestModule, project: string, facts: HostFacts): JUnitSuite {
  const classname = `${project}: ${module.relativeModuleId}`;
  const cases: JUnitCase[] = [];
  for (const test of module.children.allTests()) cases.push(testToCase(test, classname));
  const moduleErrors = module.errors();
  if (moduleErrors.length > 0) {
    // A file that fails to load, or a failing beforeAll/afterAll, has no test to blame: report it as one.
    cases.push({
      name: `${module.relativeModuleId} (file setup or teardown)`,
      classname,
      status: 'failed',
      message: moduleErrors.map((e) => e.message).join('; '),
      details: moduleErrors.map((e) => e.stack ?? e.message).join('\n\n'),
    });
  }
  return {
    name: `[${project}] ${module.relativeModuleId}`,
    time: module.diagnostic().duration / 1000,
    properties: { project, ...facts, tool_name: TOOL_NAME, tool_version: TOOL_VERSION },
    cases,
  };
}

function testToCase(test: TestCase, classname: string): JUnitCase {
  const result = test.result();
  const time = (test.diagnostic()?.duration ?? 0) / 1000;
  const base = { name: test.fullName, classname, time };
  if (result.state === 'failed') {
    return {
      ...base,
      status: 'failed',
      message: result.errors.map((e) => e.message).join('; '),
      details: result.errors.map((e) => e.stack ?? e.message).join('\n\n'),
    };
  }
  if (result.state === 'skipped' || result.state === 'pending') {
    const note = result.state === 'skipped' ? result.note : undefined;
    const mode = test.options.mode;
    return { ...base, status: 'skipped', message: note ?? (mode === 'todo' ? 'todo' : `not run (${mode})`) };
  }
  return { ...base, status: 'passed' };
}
