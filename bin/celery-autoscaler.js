#!/usr/bin/env node
// Runs the CLI that `npm ci` built (scripts/build.js): no TypeScript compiled at run time.
let cli;
try {
  cli = require('../dist/cli.js');
} catch (e) {
  if (e.code !== 'MODULE_NOT_FOUND' || !String(e.message).includes('dist/cli.js')) throw e;
  process.stderr.write('error: the CLI is not built: run `npm run build` (npm ci does it)\n');
  process.exit(1);
}
cli.main(process.argv);
