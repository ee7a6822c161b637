import { readFileSync } from 'node:fs';
import { FOLDERS, keptRows, MUTATION_DOCS, sourcesHash } from '../../scripts/mutate';

// docs/mutation.md is written by `npm run mutate`; it records, per folder it ran, a hash of the
// sources (and the jest config that picks the tests) the run started from. A change to a folder
// after its run makes its rows stale: rerun `npm run mutate -- <folder>` (incremental: only the
// mutants the change touched run again). Whether each folder meets its goal is the report's to
// say (a benchmark, not a test); that it says it from the sources as they are is this test's.
describe('docs/mutation.md', () => {
  const doc = readFileSync(MUTATION_DOCS, 'utf8');
  const ran = FOLDERS.map((f) => f.folder).filter((f) => doc.includes(`<!-- mutation:${f} sources `));
  test('names every folder, run or not', () => {
    for (const { folder } of FOLDERS) expect(doc).toMatch(new RegExp(`^\\| \`${folder}\` \\|`, 'm'));
  });
  test.each(FOLDERS.map((f) => f.folder))('%s: if run, the report was written from the sources as they are', (folder) => {
    if (!ran.includes(folder)) {
      expect(doc).toMatch(new RegExp(`^\\| \`${folder}\` \\|.*not run`, 'm'));
      return;
    }
    expect(doc).toContain(`<!-- mutation:${folder} sources ${sourcesHash(folder)} -->`);
  });
  test('a survivor without a reason says so, and a folder below its goal says which way', () => {
    const rows = doc.split('\n').filter((l) => /^\| `lib\/[a-z]+` \|/.test(l));
    for (const r of rows) expect(r).toMatch(/not run|\*\*[\d.]+%\*\* (met|below; every survivor explained|NOT met)/);
  });
  test('a rerun on a machine without a folder\'s report keeps its rows only while its sources are those the run started from', () => {
    const row = '| `lib/ecs` | 2026-12-05, 11 min | 177 | 173 | 3 | 1 | 119 | 15 | 90% | **97.7%** met |';
    const survivor = '| `lib/ecs/limits.ts:41` | survived | ArrayDeclaration | x | y |';
    const current = [row, survivor, `<!-- mutation:lib/ecs sources ${sourcesHash('lib/ecs')} -->`].join('\n');
    expect(keptRows(current, 'lib/ecs')).toEqual({ row, survivors: [survivor], hash: `<!-- mutation:lib/ecs sources ${sourcesHash('lib/ecs')} -->` });
    expect(keptRows(current.replace(sourcesHash('lib/ecs'), '0000000000000000'), 'lib/ecs')).toBeNull();
    expect(keptRows(current, 'lib/cycle')).toBeNull();
  });
});
