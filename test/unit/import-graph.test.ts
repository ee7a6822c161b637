import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const rel = join(dir, entry);
    if (statSync(join(ROOT, rel)).isDirectory()) return sources(rel);
    return /\.(ts|js)$/.test(entry) ? [rel] : [];
  });
}

/** Every relative import of a file, resolved to a path from the repository root. */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(?\s*|require\()\s*'(\.[^']+)'/g)].map((m) => m[1]);
  return specs.map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
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

describe('import graph', () => {
  it.each(RULES)('$folder imports none of $forbidden', ({ folder, forbidden }) => {
    const offending = sources(folder).flatMap((file) =>
      imports(file).filter((target) => forbidden.some((f) => target === f || target.startsWith(`${f}/`))).map((target) => `${file} → ${target}`));
    expect(offending).toEqual([]);
  });
});
