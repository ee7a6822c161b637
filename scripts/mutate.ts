import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXPLAINED } from './mutation-explained';

/**
 * `npm run mutate [-- lib/ecs ...]`: StrykerJS (stryker.config.mjs) over each folder of the
 * cycle's core against the unit tests, then docs/mutation.md from the JSON reports. Not CI: hours
 * on two cores (the incremental files in mutation/, committed, make a rerun test only what changed; a folder without one runs in full).
 * `npm run mutate -- --report` rewrites docs/mutation.md from the reports alone.
 */
const ROOT = join(__dirname, '..');
export const MUTATION_DOCS = join(ROOT, 'docs', 'mutation.md');
export const FOLDERS = [
  { folder: 'lib/cycle', goal: 90 },
  { folder: 'lib/ecs', goal: 90 },
  { folder: 'lib/planner', goal: 80 },
  { folder: 'lib/celery', goal: 80 },
] as const;

type Mutant = { id: string; mutatorName: string; replacement?: string; status: string; static?: boolean; location: { start: { line: number; column: number }; end: { line: number; column: number } } };
type Report = { files: Record<string, { source: string; mutants: Mutant[] }> };

/** What a folder's report was computed from: its sources and which tests ran against them. */
export function sourcesHash(folder: string, root = ROOT): string {
  const h = createHash('sha256');
  const files = readdirSync(join(root, folder)).filter((f) => f.endsWith('.ts')).sort().map((f) => `${folder}/${f}`);
  for (const f of [...files, 'jest.mutate.config.js']) h.update(`${f}\n`).update(readFileSync(join(root, f)));
  return h.digest('hex').slice(0, 16);
}

const KILLED = new Set(['Killed', 'Timeout']);
const NOT_VALID = new Set(['CompileError', 'RuntimeError', 'Ignored']);

/** The line of source a mutant changes, trimmed: its key in EXPLAINED with the mutator's name. */
function codeOf(source: string, m: Mutant): string {
  const lines = source.split('\n');
  if (m.location.start.line === m.location.end.line) return lines[m.location.start.line - 1].slice(m.location.start.column - 1, m.location.end.column - 1);
  return lines[m.location.start.line - 1].slice(m.location.start.column - 1).trim();
}

export function explanationKey(file: string, code: string, m: { mutatorName: string; replacement?: string }): string {
  return `${file} | ${m.mutatorName} | ${code.replace(/\s+/g, ' ').slice(0, 80)} → ${(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 60)}`;
}

/**
 * A folder's row, survivor rows and sources line in a docs/mutation.md written before, kept when
 * this machine has no report of it (reports/ is not in the repository) and its sources are those
 * the kept run started from; null otherwise.
 */
export function keptRows(previous: string, folder: string, root = ROOT): { row: string; survivors: string[]; hash: string } | null {
  const hash = `<!-- mutation:${folder} sources ${sourcesHash(folder, root)} -->`;
  const lines = previous.split('\n');
  const row = lines.find((l) => l.startsWith(`| \`${folder}\` |`));
  if (!row || !lines.includes(hash) || /not run/.test(row)) return null;
  return { row, survivors: lines.filter((l) => l.startsWith(`| \`${folder}/`)), hash };
}

export function renderMutationDocs(root = ROOT): string {
  const rows: string[] = [];
  const survivors: string[] = [];
  const hashes: string[] = [];
  const unexplained: string[] = [];
  const docs = join(root, 'docs', 'mutation.md');
  const previous = existsSync(docs) ? readFileSync(docs, 'utf8') : '';
  for (const { folder, goal } of FOLDERS) {
    const name = folder.replace(/^lib\//, '');
    const path = join(root, 'reports', 'mutation', `${name}.json`);
    if (!existsSync(path)) {
      const kept = keptRows(previous, folder, root);
      if (kept) {
        rows.push(kept.row);
        survivors.push(...kept.survivors);
        hashes.push(kept.hash);
      } else rows.push(`| \`${folder}\` | — | — | — | — | — | — | — | ${goal}% | not run |`);
      continue;
    }
    const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
    const runFile = join(root, 'reports', 'mutation', `${name}.run.json`);
    const run = existsSync(runFile) ? JSON.parse(readFileSync(runFile, 'utf8')) as { date: string; seconds: number; sources?: string; incremental?: boolean } : null;
    let killed = 0; let survived = 0; let noCoverage = 0; let invalid = 0; let statics = 0; let explained = 0;
    for (const [file, { source, mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
      for (const m of mutants.sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)) {
        if (m.status === 'Ignored' && m.static) statics += 1;
        if (NOT_VALID.has(m.status)) { invalid += 1; continue; }
        if (KILLED.has(m.status)) { killed += 1; continue; }
        if (m.status === 'Survived') survived += 1; else noCoverage += 1;
        const code = codeOf(source, m);
        const key = explanationKey(file, code, m);
        const why = EXPLAINED[key];
        if (why) explained += 1; else unexplained.push(key);
        survivors.push(`| \`${file}:${m.location.start.line}\` | ${m.status === 'Survived' ? 'survived' : 'no test ran it'} | ${m.mutatorName} | \`${code.replace(/\|/g, '\\|').replace(/`/g, "'").slice(0, 70)}\` → \`${(m.replacement ?? '').replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\s+/g, ' ').slice(0, 50)}\` | ${why ?? '**not explained**'} |`);
      }
    }
    // The sources the run started from (a change made while it ran makes the report stale).
    hashes.push(`<!-- mutation:${folder} sources ${run?.sources ?? sourcesHash(folder, root)} -->`);
    const valid = killed + survived + noCoverage;
    const score = valid === 0 ? 100 : (100 * killed) / valid;
    const met = score >= goal ? 'met' : (survived + noCoverage === explained ? 'below; every survivor explained' : 'NOT met');
    rows.push(`| \`${folder}\` | ${run ? `${run.date}, ${Math.round(run.seconds / 60)} min${run.incremental ? ' (incremental)' : ''}` : '—'} | ${valid} | ${killed} | ${survived} | ${noCoverage} | ${invalid} | ${statics} | ${goal}% | **${score.toFixed(1)}%** ${met} |`);
  }
  return [
    '# Mutation testing',
    '',
    'Written by `npm run mutate` (scripts/mutate.ts, StrykerJS with its jest runner and TypeScript checker: stryker.config.mjs, jest.mutate.config.js). The JSON reports stay on the machine that ran them (reports/ is not committed): a folder with no report here keeps its rows from this file while its sources are those its run started from. StrykerJS\'s incremental files are written to mutation/ and committed with the report: a rerun from a new checkout then reuses the result of each mutant whose code and covering tests are unchanged, and `npm run mutate -- --force` runs them all. A folder with no file there yet (no run since this began) is run in full. Each folder of the cycle\'s core is mutated (an operator flipped, a condition forced, a constant or a block removed) and the unit tests (with the fast integration files that need only a redis-server or the ECS emulator: jest.mutate.config.js) run against each mutant: of those, the test files that import the mutated file, directly or through others (jest\'s `--findRelatedTests`, following imports through every folder of the product), and in them the tests that ran its code; a mutant no test fails on is a change of behaviour nothing observes. Not in CI: the wall time of each folder\'s last run is in the table (an incremental rerun tests only the mutants a change touched). `test/unit/mutation-report.test.ts` fails when a folder\'s sources change after its report was written.',
    '',
    'Score = killed (a test failed, or the mutant hung past its timeout) / valid mutants. Not valid: mutants the TypeScript checker rejects or that crash on load. Static mutants (module-level constants, whose value every test would need rerunning without per-test coverage to judge) are left out by `ignoreStatic` and counted apart: the tests that pin each shipped constant are unit tests of their own (test/unit/ecs-batches.test.ts and others).',
    '',
    '| folder | last run (wall time) | valid mutants | killed | survived | no test ran it | not valid | static (left out) | goal | score |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    '## Survivors',
    '',
    'Each mutant no test kills, with why no behaviour observes it (an equivalent mutant: same outputs for every input the code can receive) or what it would take. The reasons live in scripts/mutation-explained.ts, keyed by file, mutator and code, so a survivor that moves keeps its reason and a new one shows as **not explained**.',
    '',
    '| where | verdict | mutator | code → mutant | why it survives |',
    '|---|---|---|---|---|',
    ...survivors,
    '',
    ...hashes,
    '',
  ].join('\n');
}

function main(): void {
  const args = process.argv.slice(2);
  const reportOnly = args.includes('--report');
  const folders = args.filter((a) => !a.startsWith('--'));
  const unknown = folders.filter((f) => !FOLDERS.some((x) => x.folder === f));
  if (unknown.length > 0) throw new Error(`unknown folder ${unknown.join(', ')} (folders: ${FOLDERS.map((f) => f.folder).join(', ')})`);
  if (!reportOnly) {
    const force = args.includes('--force');
    for (const { folder } of FOLDERS) {
      if (folders.length > 0 && !folders.includes(folder)) continue;
      process.stderr.write(`mutate: ${folder}…\n`);
      const name = folder.replace(/^lib\//, '');
      const began = Date.now();
      const sources = sourcesHash(folder);
      const incremental = !force && existsSync(join(ROOT, 'mutation', `${name}.incremental.json`));
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', ...(force ? ['--force'] : [])], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, MUTATE_FOLDER: folder } });
      if (r.status !== 0) throw new Error(`stryker failed on ${folder} (exit ${r.status})`);
      writeFileSync(join(ROOT, 'reports', 'mutation', `${name}.run.json`), JSON.stringify({ date: new Date().toISOString().slice(0, 10), seconds: Math.round((Date.now() - began) / 1000), sources, incremental }));
    }
  }
  writeFileSync(MUTATION_DOCS, renderMutationDocs());
  process.stdout.write(readFileSync(MUTATION_DOCS, 'utf8'));
}

if (require.main === module) main();
