import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allCrashPoints, renderCrashPoints, runCrashPoint, withCrashPointsSection } from '../lib/simulate/crash-points';

/**
 * Runs every crash point (the list test/unit/crash-points.test.ts runs) and writes the "Crash
 * points" section at the end of docs/reliability.md; the rest of the file is left as it is.
 * Exits 1 if any crash point broke an invariant (the section is written all the same).
 * `-- --every-run` crashes every run of every state, not only the first of each kind (a few
 * thousand runs): it prints what broke and writes nothing.
 */
function main(): void {
  const everyRun = process.argv.includes('--every-run');
  const results = allCrashPoints({ everyRun }).map(runCrashPoint);
  const file = join(__dirname, '..', 'docs', 'reliability.md');
  if (!everyRun) writeFileSync(file, withCrashPointsSection(readFileSync(file, 'utf8'), renderCrashPoints(results)));
  const failed = results.filter((r) => r.run.violations.length > 0);
  for (const f of failed) process.stderr.write(`${f.case.label}: ${f.run.violations.join('; ')}\n`);
  process.stderr.write(`${results.length} crash points, ${failed.length} broke an invariant${everyRun ? '' : '; docs/reliability.md written'}\n`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main();
