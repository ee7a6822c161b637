import { readFileSync } from 'node:fs';
import { FOLDERS, MUTATION_DOCS, sourcesHash } from '../../scripts/mutate';

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
});
