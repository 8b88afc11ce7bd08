/**
 * Counts passed, failed and skipped test cases over JUnit files and prints the closing line
 * `N passed, N failed, N skipped`. An expected report that is missing (the run crashed before
 * writing it) counts as one failure, so a broken run can never print a clean line.
 *
 * usage: tsx ci/junit-summary.ts [--expect name,name] FILE...
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { countJUnit, renderClosingLine, type Counts } from '../lib/junit/count.ts';

export { countJUnit, renderClosingLine, type Counts };

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
