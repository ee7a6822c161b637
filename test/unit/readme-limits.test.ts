import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

// The README's Limits table quotes measured figures: each must be in the generated
// docs/benchmarks.md, so a rerun that changes one makes this fail until the README follows.
test('every measured figure in the README\'s Limits section appears in docs/benchmarks.md', () => {
  const limits = /## Limits\n([\s\S]*?)\n## /.exec(read('README.md'))?.[1] ?? '';
  const tested = limits.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| limit') ).map((l) => l.split(' | ')[2] ?? '');
  const figures = tested.flatMap((cell) => [...cell.matchAll(/(\d[\d,]*(?:\.\d+)?) ?(ms|KiB|KB|MB RSS|ECS calls|writes|history events)\b/g)].map((m) => m[1]))
    .filter((f) => f !== '300'); // the test's own oversized state, not a measurement
  expect(figures.length).toBeGreaterThan(6);
  const bench = read('docs/benchmarks.md');
  const missing = figures.filter((f) => !new RegExp(`(^|[^\\d.,])(${f.replace(/[.]/g, '\\.')}|${f.replace(/,/g, '').replace(/[.]/g, '\\.')})([^\\d]|$)`, 'm').test(bench));
  expect(missing).toEqual([]);
});

test('every dollar figure in the README\'s Cost section is a total in the generated docs/cost.md', () => {
  const cost = /## Cost\n([\s\S]*?)\n## /.exec(read('README.md'))?.[1] ?? '';
  const figures = [...cost.matchAll(/\$(\d[\d,]*\.\d\d)/g)].map((m) => m[1]);
  expect(figures.length).toBeGreaterThanOrEqual(6);
  const totals = read('docs/cost.md');
  expect(figures.filter((f) => !totals.includes(`$${f}`))).toEqual([]);
});
