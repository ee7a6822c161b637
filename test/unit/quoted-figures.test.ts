import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkFigures, GENERATED, generatedSources, readDocs, readSources, splitGenerated, type Doc, type Explained, type Sources } from '../../scripts/quoted-figures';
import { configJsonSchema } from '../../scripts/gen-config-docs';

const ROOT = join(__dirname, '..', '..');

/**
 * Figures no rule of scripts/quoted-figures.ts can tell from a measurement. Keep it short: a
 * measured figure belongs in a generated file, a limit or a setting in the code.
 */
const EXPLAINED: Explained[] = [
  { file: 'README.md', says: 'a task that has run 40 s is taken to run 40 s more', reason: 'an example of how DrainWorkers guesses what a running task has left' },
  { file: 'README.md', says: 'Lambda gives one full vCPU at 1,769 MB', reason: 'AWS Lambda\'s documented memory size of one vCPU (Lambda Developer Guide, "Configuring Lambda function memory")' },
  { file: 'docs/planner.md', says: 'in 100 min → 5', reason: 'a worked example of the seed rule' },
  { file: 'docs/runbook.md', says: 'Why not ≤ 30 calls', reason: 'the goal a drain\'s ECS calls were first held to, not a count' },
  { file: 'docs/simulator.md', says: 'read in 1 MB chunks', reason: 'the CSV reader\'s buffer, Buffer.alloc(1 << 20) in lib/simulate/trace.ts' },
  { file: 'docs/simulator.md', under: '## Workload families (`families.ts`)', reason: 'each family\'s parameter ranges, as lib/simulate/families.ts draws them from the seed' },
];

describe('the checker', () => {
  const bench = (body: string): Doc => ({ file: 'docs/benchmarks.md', text: `# Benchmarks\n\n<!-- bench:measure -->\n${body}\n<!-- /bench:measure -->\n` });
  const sources = (docs: Doc[], constants: Sources['constants'] = new Map()): Sources => ({ regions: generatedSources(docs), constants, cited: () => undefined });
  const unsourced = (docs: Doc[], s: Sources, explained: Explained[] = []) =>
    checkFigures(docs, s, explained).filter((c) => c.verdict.kind === 'unsourced').map(({ figure: f }) => `${f.file}:${f.line} ${f.quote}`);

  const table = bench('| workers | median ms | max RSS MB |\n|---:|---:|---:|\n| 1000 | 1076 | 157 |');

  test('reports a planted figure no generated file holds, with its file and line', () => {
    const doc = { file: 'docs/x.md', text: '# X\n\nA cycle\ntook 123.4 ms on this machine.\n' };
    expect(unsourced([doc, table], sources([table]))).toEqual(['docs/x.md:4 123.4 ms']);
  });

  test('passes a figure a generated file holds, commas optional, in the same unit', () => {
    const doc = { file: 'README.md', text: 'MeasureQueues took 1,076 ms and 157 MB RSS.\n' };
    expect(unsourced([doc, table], sources([table]))).toEqual([]);
    const other = { file: 'README.md', text: 'MeasureQueues took 1,076 s.\n' };
    expect(unsourced([other, table], sources([table]))).toEqual(['README.md:1 1,076 s']);
  });

  test('a count must be a count of the same thing: calls are not events', () => {
    const calls = bench('## ECS calls per drain\n\n| tasks | total |\n|---:|---:|\n| 1,000 | 272 |');
    expect(unsourced([{ file: 'README.md', text: 'A drain makes 272 ECS calls.' }, calls], sources([calls]))).toEqual([]);
    expect(unsourced([{ file: 'README.md', text: 'A drain writes 272 history events.' }, calls], sources([calls]))).toEqual(['README.md:1 272 history events']);
  });

  test('a figure the text ties to a bench section must be in that section', () => {
    const two = { file: 'docs/benchmarks.md', text: '<!-- bench:cli -->\n| command | median ms |\n|---|---:|\n| help | 130 |\n<!-- /bench:cli -->\n<!-- bench:lambda -->\n| f | cold load median ms |\n|---|---:|\n| a | 62 |\n<!-- /bench:lambda -->\n' };
    expect(unsourced([{ file: 'README.md', text: 'Loading takes 62 ms (`lambda`).' }, two], sources([two]))).toEqual([]);
    expect(unsourced([{ file: 'README.md', text: 'Loading takes 62 ms (`cli`).' }, two], sources([two]))).toEqual(['README.md:1 62 ms']);
  });

  test('generated regions and code are not scanned: the bench file itself, a code block, a code span', () => {
    const text = '`took 9.9 ms`\n\n```\ntook 8.8 ms\n```\n';
    expect(unsourced([{ file: 'docs/x.md', text }, bench('took 7.7 ms, a figure of its own')], sources([]))).toEqual([]);
  });

  test('not measurements, by rule: a constant the text speaks of, an AWS page, a task\'s length, a test\'s own number', () => {
    const constants = new Map([['ms:5000', [{ name: 'POLL_SECONDS', where: 'lib/cycle/drain-workers.ts' }]]]);
    const s: Sources = { ...sources([], constants), cited: (p) => (p === 'test/unit/a.test.ts' ? 'expect(x).toBeLessThan(0.25)' : undefined) };
    expect(unsourced([{ file: 'docs/x.md', text: [
      'CheckDrain polls every 5 s.',
      '',
      'Quota: 256 KiB (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).',
      '',
      'four 200 ms tasks and one 3 s `tasks.sleep_task`',
      '',
      'within 0.25 s (test/unit/a.test.ts)',
    ].join('\n') }], s)).toEqual([]);
    // the same value, the text speaking of something else: 5 s is no poll here
    expect(unsourced([{ file: 'docs/x.md', text: 'The broker answered in 5 s.' }], s)).toEqual(['docs/x.md:1 5 s']);
  });

  test('a listed quote stays an example when a generated table happens to hold the same number', () => {
    const run = bench('| scenario | s |\n|---|---:|\n| a drain | 40 |');
    const list: Explained[] = [{ file: 'README.md', says: 'has run 40 s', reason: 'an example' }];
    const [r] = checkFigures([{ file: 'README.md', text: 'A task that has run 40 s.' }], sources([run]), list);
    expect(r.verdict).toEqual({ kind: 'not measured', why: 'listed: an example' });
  });

  test('the hand-kept list covers only the text it quotes', () => {
    const list: Explained[] = [{ file: 'docs/x.md', says: 'in 100 min → 5', reason: 'an example' }];
    expect(unsourced([{ file: 'docs/x.md', text: '1,000 tasks in 100 min → 5; it took 100 min.' }], sources([]), list)).toEqual(['docs/x.md:1 100 min']);
  });
});

// Under StrykerJS (npm run mutate) lib/ is instrumented, so its constants are no longer plain text,
// and a mutant's verdict must not hang on the docs: the checker's own tests above still run there.
const describeDocs = process.env.STRYKER_MUTATOR_WORKER ? describe.skip : describe;

describeDocs('README.md and docs/', () => {
  const docs = readDocs(ROOT);
  const results = checkFigures(docs, readSources(ROOT, docs, configJsonSchema()), EXPLAINED);

  test('every region GENERATED names is where its writer puts it', () => {
    const missing = GENERATED.filter((r) => existsSync(join(ROOT, r.file)) && !docs.some((d) => d.file === r.file && splitGenerated(d).found.some((f) => f.region === r)));
    expect(missing.map((r) => `${r.file}: ${r.begin ?? 'whole file'} (${r.writer})`)).toEqual([]);
  });

  test('every measured figure quoted in hand-written prose is in a generated file', () => {
    const unsourced = results.filter((r) => r.verdict.kind === 'unsourced').map(({ figure: f }) => `${f.file}:${f.line}: "${f.quote}" is in no generated file (quote the generated table, or point to it)`);
    expect(unsourced).toEqual([]);
  });

  test('the scan finds the figures (a broken pattern cannot pass by finding none)', () => {
    expect(results.length).toBeGreaterThan(250);
    expect(results.filter((r) => r.verdict.kind === 'sourced').length).toBeGreaterThan(100);
  });

  test('every entry of the hand-kept list is still needed', () => {
    const used = (e: Explained) => results.some((r) => r.verdict.kind === 'not measured' && r.verdict.why === `listed: ${e.reason}`);
    expect(EXPLAINED.filter((e) => !used(e)).map((e) => e.says ?? e.under)).toEqual([]);
  });
});
