/**
 * Records one CI step (install, typecheck) as a JUnit file, so its outcome is counted with the tests.
 * usage: tsx ci/record-step.ts NAME EXIT_CODE LOG_FILE
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { renderJUnit } from '../lib/junit/junit-xml.ts';
import { writeReportFile } from '../lib/host/report-file.ts';

const [name, exitCode, logFile] = process.argv.slice(2);
if (!name || exitCode === undefined) {
  console.error('usage: tsx ci/record-step.ts NAME EXIT_CODE [LOG_FILE]');
  process.exit(64);
}
const log = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
const failed = exitCode !== '0';
await writeReportFile(
  path.resolve('reports', `junit-ci-${name}.xml`),
  renderJUnit(`octolab-microvm-verify ci ${name}`, [
    {
      name: `[ci] ${name}`,
      properties: { project: 'ci' },
      cases: [
        {
          name,
          classname: 'ci',
          status: failed ? 'failed' : 'passed',
          message: failed ? `${name} exited with ${exitCode}` : undefined,
          details: failed ? log.slice(-20000) : undefined,
        },
      ],
    },
  ]),
);
