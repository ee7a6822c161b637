import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Every file of the repository (what a build or a run writes left out), by path from the root. */
function repositoryFiles(dir = ''): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    if (['node_modules', '.git', 'dist', '.esbuild', '.serverless', 'simulate-out'].includes(name)) return [];
    const rel = dir ? `${dir}/${name}` : name;
    return statSync(join(ROOT, rel)).isDirectory() ? repositoryFiles(rel) : [rel];
  });
}
const FILES = repositoryFiles();

/**
 * Source files the text names, backticked or not: `lib/cycle/check-drain.ts`, lib/cycle/choose.ts,
 * `families.ts`. Placeholders (`lib/cycle/<state>.ts`, `functions/*.ts`) and the sources of Celery and its
 * libraries (celery/worker/state.py, kombu, billiard, py-amqp's amqp/serialization.py, vine) are not
 * files of this repository; `Node.js` is a name.
 */
function citedFiles(text: string): string[] {
  const paths = [...text.matchAll(/(?<![\w/.:@<>{}*,-])((?:\.?[\w-]+\/)*[\w.-]+\.(?:ts|js|mjs|md|yml|yaml|py|sh))(?![\w/-])/g)].map((m) => m[1]);
  return [...new Set(paths)].filter((p) => p !== 'Node.js' && !/^(celery|kombu|billiard|amqp|vine)\//.test(p));
}

/** A cited file exists: from the root, from the doc's folder, or as the end of one path of the repository (`policies/oracle.ts`, `families.ts`). */
const exists = (doc: string, path: string): boolean =>
  existsSync(resolve(ROOT, path)) || existsSync(resolve(ROOT, dirname(doc), path)) || FILES.some((f) => f.endsWith(`/${path}`) || basename(f) === path);

describe.each(DOCS)('%s', (doc) => {
  const text = readFileSync(join(ROOT, doc), 'utf8');

  test('every relative link points at a file of the repository', () => {
    const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.filter((l) => !existsSync(resolve(ROOT, dirname(doc), l)))).toEqual([]);
  });

  test('every source file it names exists', () => {
    expect(citedFiles(text).filter((p) => !exists(doc, p))).toEqual([]);
  });

  test('it cites no file outside the repository and no tracker a user cannot see', () => {
    expect(text.match(/\.\.\/shared|\bshared\/|DESIGN\.md|CELERY_REDIS_FACTS|\bissues? #?\d+\b/gi) ?? []).toEqual([]);
  });
});

test('a cited file that does not exist is found, backticked or not', () => {
  const text = 'See `lib/cycle/check-drain.ts`, lib/cycle/drain.ts and `gone.ts`; `lib/cycle/<state>.ts`, celery/worker/state.py and Node.js are not files.';
  expect(citedFiles(text).filter((p) => !exists('docs/x.md', p))).toEqual(['lib/cycle/drain.ts', 'gone.ts']);
});
