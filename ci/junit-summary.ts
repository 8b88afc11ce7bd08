/**
 * Counts passed, failed and skipped test cases over JUnit files and prints the closing line
 * `N passed, N failed, N skipped`. An expected report that is missing (the run crashed before
 * writing it) counts as one failure, so a broken run can never print a clean line.
 *
 * usage: tsx ci/junit-summary.ts [--expect name,name] FILE...
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

/** Counts of one or more JUnit documents. */
export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts the test cases of one JUnit XML document: failure/error → failed, skipped → skipped. */
export function countJUnit(xml: string): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  const cases = xml.split(/<testcase[\s>]/).slice(1);
  for (const raw of cases) {
    // A case ends at "/>" (self-closing) or at its closing tag; nothing after it belongs to it.
    const selfClosing = /^[^>]*\/>/.exec(raw);
    const body = selfClosing ? '' : raw.slice(0, raw.indexOf('</testcase>') >= 0 ? raw.indexOf('</testcase>') : raw.length);
    if (/<(failure|error)[\s>/]/.test(body)) counts.failed++;
    else if (/<skipped[\s>/]/.test(body)) counts.skipped++;
    else counts.passed++;
  }
  return counts;
}

/** Renders the closing line CI reads. */
export function renderClosingLine(counts: Counts): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

function main(argv: string[]): number {
  let expect: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--expect') expect = (argv[++i] ?? '').split(',').filter(Boolean);
    else files.push(argv[i]!);
  }
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const name of expect) {
    if (!files.some((file) => path.basename(file) === `junit-${name}.xml`)) {
      console.error(`missing report: junit-${name}.xml (the ${name} run ended before writing its results)`);
      total.failed++;
    }
  }
  for (const file of files) {
    if (!existsSync(file)) continue;
    const counts = countJUnit(readFileSync(file, 'utf8'));
    console.error(`${path.basename(file)}: ${renderClosingLine(counts)}`);
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  }
  console.log(renderClosingLine(total));
  return total.failed === 0 && total.passed > 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
