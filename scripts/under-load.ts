import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { putSection } from '../bench/sections';

/**
 * `npm run bench:under-load -- [--runs N]`: the real-worker test files, N runs in a row (10 by
 * default), while two other processes keep both cores busy the whole time. A benchmark of the
 * suite itself, not CI (about 10 minutes a run). Writes the `under-load` section of
 * docs/benchmarks.md: each run's verdict, its wall time and any failing test by name. Exit 1 if
 * any run failed.
 *
 * A real-worker file is a test file that starts Celery workers or a whole local stack: those are
 * the ones whose timing depends on the machine (the rest are pure or talk to redis-server alone).
 */
const ROOT = join(__dirname, '..');
const FILE = join(ROOT, 'docs', 'benchmarks.md');
const DIRS = ['test/integration', 'test/e2e', 'test/statemachine'];
const STARTS_WORKERS = /local\/celery\/worker|local\/local-stack|local\/stack|local\/scenario|from '\.\/zero-loss'|local\/soak/;

export function realWorkerFiles(root = ROOT): string[] {
  return DIRS.flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.test.ts')).map((f) => `${d}/${f}`))
    .filter((f) => STARTS_WORKERS.test(readFileSync(join(root, f), 'utf8')))
    .sort();
}

type Run = { n: number; ok: boolean; seconds: number; tests: number; failed: string[] };

function burn(): ChildProcess {
  // A plain busy loop per core: what "another process keeps both cores busy" means here.
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

function jestOnce(files: string[], outFile: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--json', '--outputFile', outFile, ...files], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 10;
  if (!(Number.isInteger(runs) && runs > 0)) throw new Error('usage: npm run bench:under-load -- [--runs N]');
  const files = realWorkerFiles();
  const burners = [burn(), burn()];
  const stop = () => { for (const b of burners) if (b.exitCode === null) b.kill('SIGKILL'); };
  process.on('exit', stop);
  process.on('SIGINT', () => { stop(); process.exit(130); });
  const dir = mkdtempSync(join(tmpdir(), 'under-load-'));
  const results: Run[] = [];
  try {
    for (let n = 1; n <= runs; n += 1) {
      const out = join(dir, `run-${n}.json`);
      const began = Date.now();
      process.stderr.write(`under-load: run ${n} of ${runs} (${files.length} files, burners ${burners.map((b) => b.pid).join(', ')})\n`);
      const code = await jestOnce(files, out);
      const seconds = Math.round((Date.now() - began) / 1000);
      const report = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) as { numTotalTests: number; testResults: { name: string; assertionResults: { fullName: string; status: string }[]; message: string }[] } : null;
      const failed = report ? report.testResults.flatMap((f) => {
        const names = f.assertionResults.filter((a) => a.status === 'failed').map((a) => `${relative(ROOT, f.name)} › ${a.fullName}`);
        return names.length > 0 || f.message === '' ? names : [`${relative(ROOT, f.name)} (the file failed to run)`];
      }) : ['(jest wrote no report)'];
      results.push({ n, ok: code === 0 && failed.length === 0, seconds, tests: report?.numTotalTests ?? 0, failed });
      process.stderr.write(`under-load: run ${n}: ${code === 0 ? 'passed' : `FAILED ${failed.join('; ')}`} in ${seconds} s\n`);
    }
  } finally {
    stop();
  }
  const passed = results.filter((r) => r.ok).length;
  const celery = process.env.CELERY_PYTHONPATH ? `the Celery release CELERY_PYTHONPATH puts first (${process.env.CELERY_PYTHONPATH})` : "Debian's Celery";
  const body = [
    '## under-load: the real-worker test files, run after run, with both cores kept busy',
    '',
    `\`npm run bench:under-load\` (scripts/under-load.ts): the ${files.length} test files that start Celery workers or a whole local stack (${files.map((f) => `\`${f}\``).join(', ')}), ${runs} runs in a row with jest's usual three files at a time, on ${celery}, while two busy-loop processes hold both of this machine's 2 cores for the whole time.`,
    '',
    '| run | verdict | tests | wall s | failed |',
    '|---:|---|---:|---:|---|',
    ...results.map((r) => `| ${r.n} | ${r.ok ? 'passed' : 'FAILED'} | ${r.tests} | ${r.seconds} | ${r.failed.join('; ')} |`),
    '',
    `${passed} of ${runs} runs passed.`,
  ].join('\n');
  const stamp = `_Run on ${new Date().toISOString().slice(0, 10)} (node ${process.version})._\n\n`;
  const [heading, ...rest] = body.split('\n');
  writeFileSync(FILE, putSection(readFileSync(FILE, 'utf8'), 'under-load', `${heading}\n\n${stamp}${rest.join('\n').replace(/^\n+/, '')}`));
  process.stdout.write(`${body}\n`);
  if (passed < runs) process.exitCode = 1;
}

if (require.main === module) void main().catch((e) => { console.error(e); process.exit(1); });
