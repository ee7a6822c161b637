// After `serverless package`: every function's zip is at most 300 KB and holds no source map
// (README, "Small Lambdas"). Exits 1 naming each zip that breaks a rule.
const { execFileSync } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const MAX_KB = 300;
const dir = process.argv[2] || join(__dirname, '..', '.serverless');
const zips = readdirSync(dir).filter((f) => f.endsWith('.zip'));
const problems = [];
if (zips.length === 0) problems.push(`no function zip in ${dir}`);
for (const zip of zips) {
  const kb = statSync(join(dir, zip)).size / 1024;
  if (kb > MAX_KB) problems.push(`${zip}: ${kb.toFixed(0)} KB, above ${MAX_KB} KB`);
  const maps = execFileSync('unzip', ['-Z1', join(dir, zip)], { encoding: 'utf8' }).split('\n').filter((f) => f.endsWith('.map'));
  if (maps.length > 0) problems.push(`${zip}: holds a source map (${maps.join(', ')})`);
}
if (problems.length > 0) {
  process.stderr.write(`package check failed:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`package check: ${zips.length} zips, each ≤ ${MAX_KB} KB, no source map\n`);
