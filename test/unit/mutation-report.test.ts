import { readFileSync } from 'node:fs';
import { FOLDERS, MUTATION_DOCS, sourcesHash } from '../../scripts/mutate';

// docs/mutation.md is written by `npm run mutate`; it records, per folder, a hash of the sources
// it mutated. A change to a folder after its report makes the report stale: rerun
// `npm run mutate -- <folder>` (incremental: only the mutants the change touched run again).
describe('docs/mutation.md', () => {
  const doc = readFileSync(MUTATION_DOCS, 'utf8');
  test.each(FOLDERS.map((f) => f.folder))('%s: the report was written from the sources as they are', (folder) => {
    expect(doc).toContain(`<!-- mutation:${folder} sources ${sourcesHash(folder)} -->`);
  });
  test('every folder was run, meets its goal or has every survivor explained', () => {
    const rows = doc.split('\n').filter((l) => /^\| `lib\//.test(l));
    expect(rows).toHaveLength(FOLDERS.length);
    expect(rows.filter((r) => !/\*\*[\d.]+%\*\* (met|below; every survivor explained)/.test(r))).toEqual([]);
    expect(doc).not.toContain('**not explained**');
  });
});
