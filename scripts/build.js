// Builds the CLI to dist/cli.js (one esbuild bundle of our code; dependencies stay in
// node_modules and load only when a command needs them). Run by `npm ci` (prepare) and by jest.
const { join } = require('node:path');
const { buildSync } = require('esbuild');

const ROOT = join(__dirname, '..');

function build() {
  buildSync({
    entryPoints: [join(ROOT, 'cli', 'main.ts')],
    outfile: join(ROOT, 'dist', 'cli.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

module.exports = build;
if (require.main === module) build();
