import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe.each(DOCS)('%s', (doc) => {
  const text = readFileSync(join(ROOT, doc), 'utf8');

  test('every relative link points at a file of the repository', () => {
    const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.filter((l) => !existsSync(resolve(ROOT, dirname(doc), l)))).toEqual([]);
  });

  test('it cites no file outside the repository and no tracker a user cannot see', () => {
    expect(text.match(/\.\.\/shared|\bshared\/|DESIGN\.md|CELERY_REDIS_FACTS|\bissues? #?\d+\b/gi) ?? []).toEqual([]);
  });
});
