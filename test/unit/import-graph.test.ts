import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { imports } from '../../scripts/imports';

const ROOT = resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const rel = join(dir, entry);
    if (statSync(join(ROOT, rel)).isDirectory()) return sources(rel);
    return /\.(ts|js)$/.test(entry) ? [rel] : [];
  });
}

// Folders and what they may not import: the product never reaches into tests, and the core
// (lib/) never reaches into its hosts (functions/, local/, cli/).
const RULES: { folder: string; forbidden: string[] }[] = [
  { folder: 'lib', forbidden: ['test', 'functions', 'local', 'cli', 'bench', 'scripts'] },
  { folder: 'functions', forbidden: ['test', 'local', 'cli'] },
  { folder: 'cli', forbidden: ['test'] },
  { folder: 'local', forbidden: ['test', 'cli'] },
  { folder: 'bench', forbidden: ['test'] },
  { folder: 'scripts', forbidden: ['test'] },
];

const breaking = (file: string, forbidden: string[], text?: string) =>
  imports(file, text).filter((target) => forbidden.some((f) => target === f || target.startsWith(`${f}/`))).map((target) => `${file} → ${target}`);

describe('import graph', () => {
  it.each(RULES)('$folder imports none of $forbidden', ({ folder, forbidden }) => {
    expect(sources(folder).flatMap((file) => breaking(file, forbidden))).toEqual([]);
  });

  // The check itself: each way of importing a forbidden module is seen.
  it.each([
    ['a static import in single quotes', "import { x } from '../test/support/fake-env';"],
    ['a static import in double quotes', 'import { x } from "../test/support/fake-env";'],
    ['a require in double quotes', 'const x = require("../test/support/fake-env");'],
    ['a dynamic import', "const x = await import('../cli/main');"],
    ['a re-export', "export * from '../test/support/fake-env';"],
  ])('sees %s', (_how, text) => {
    expect(breaking('lib/planted.ts', ['test', 'cli'], text)).toHaveLength(1);
  });
});
