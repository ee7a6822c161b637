import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { putSection, stamped } from '../bench/sections';

/**
 * `npm run bench:under-load -- [--runs N] [--burners B]`: the real-worker test files, N runs in a
 * row (10 by default), while B busy-loop processes (2 by default: one per core) keep the cores
 * busy. `--burners 0` when another process already loads the machine (a mutation run, a soak):
 * the report shows the load average sampled through each run either way, so what "under load"
 * meant is measured, not assumed. A benchmark of the suite itself, not CI. Writes the
 * `under-load` section of docs/benchmarks.md: each run's verdict, wall time, load and any
 * failing test by name. Exit 1 if any run failed.
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

type Run = { n: number; ok: boolean; seconds: number; tests: number; failed: string[]; load: number[] };

function burn(): ChildProcess {
  // A plain busy loop per core: what "another process keeps both cores busy" means here.
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

let running: ChildProcess | null = null;

/** One jest run in a process group of its own, so that stopping it stops every broker and worker it started. */
function jestOnce(files: string[], outFile: string): Promise<number> {
  return new Promise((resolve) => {
    // Every worker's log at INFO beside the run's report, for a loss to be read afterwards.
    const logs = outFile.replace(/\.json$/, '-workers');
    mkdirSync(logs, { recursive: true });
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--json', '--outputFile', outFile, ...files], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], detached: true, env: { ...process.env, CELERY_WORKER_LOG_DIR: logs } });
    running = child;
    child.on('exit', (code) => { running = null; resolve(code ?? 1); });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main(): Promise<void> {
  const arg = (name: string, fallback: number) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? Number(process.argv[i + 1]) : fallback; };
  const runs = arg('runs', 10);
  const burnerCount = arg('burners', 2);
  if (!(Number.isInteger(runs) && runs > 0) || !(Number.isInteger(burnerCount) && burnerCount >= 0)) throw new Error('usage: npm run bench:under-load -- [--runs N] [--burners B]');
  const files = realWorkerFiles();
  const burners = Array.from({ length: burnerCount }, burn);
  const stop = () => {
    for (const b of burners) if (b.exitCode === null) b.kill('SIGKILL');
    const child = running as ChildProcess | null;
    if (child?.pid) try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
  };
  process.on('exit', stop);
  process.on('SIGINT', () => { stop(); process.exit(130); });
  const dir = mkdtempSync(join(tmpdir(), 'under-load-'));
  const results: Run[] = [];
  try {
    for (let n = 1; n <= runs; n += 1) {
      const out = join(dir, `run-${n}.json`);
      const began = Date.now();
      process.stderr.write(`under-load: run ${n} of ${runs} (${files.length} files, ${burners.length} burner(s))\n`);
      const load: number[] = [];
      const sampler = setInterval(() => load.push(loadavg()[0]), 5000);
      const code = await jestOnce(files, out);
      clearInterval(sampler);
      const seconds = Math.round((Date.now() - began) / 1000);
      const report = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) as { numTotalTests: number; testResults: { name: string; assertionResults: { fullName: string; status: string }[]; message: string }[] } : null;
      const failed = report ? report.testResults.flatMap((f) => {
        const names = f.assertionResults.filter((a) => a.status === 'failed').map((a) => `${relative(ROOT, f.name)} › ${a.fullName}`);
        return names.length > 0 || f.message === '' ? names : [`${relative(ROOT, f.name)} (the file failed to run)`];
      }) : ['(jest wrote no report)'];
      results.push({ n, ok: code === 0 && failed.length === 0, seconds, tests: report?.numTotalTests ?? 0, failed, load });
      process.stderr.write(`under-load: run ${n}: ${code === 0 ? 'passed' : `FAILED ${failed.join('; ')} (workers' logs: ${out.replace(/\.json$/, '-workers')})`} in ${seconds} s\n`);
    }
  } finally {
    stop();
  }
  const passed = results.filter((r) => r.ok).length;
  const celery = process.env.CELERY_PYTHONPATH ? `the Celery release CELERY_PYTHONPATH puts first (${process.env.CELERY_PYTHONPATH})` : "Debian's Celery";
  const body = [
    '## under-load: the real-worker test files, run after run, with both cores kept busy',
    '',
    `\`npm run bench:under-load\` (scripts/under-load.ts): the ${files.length} test files that start Celery workers or a whole local stack (${files.map((f) => `\`${f}\``).join(', ')}), ${runs} runs in a row with jest's usual three files at a time, on ${celery}, ${burners.length > 0 ? `with ${burners.length} busy-loop process(es) beside them` : 'with no busy loop of its own (another process loaded the machine)'}. The load average (1 min, sampled every 5 s; this machine has 2 cores) shows how busy the machine was through each run.`,
    '',
    '| run | verdict | tests | wall s | load min | load median | failed |',
    '|---:|---|---:|---:|---:|---:|---|',
    ...results.map((r) => `| ${r.n} | ${r.ok ? 'passed' : 'FAILED'} | ${r.tests} | ${r.seconds} | ${Math.min(...r.load).toFixed(1)} | ${median(r.load).toFixed(1)} | ${r.failed.join('; ')} |`),
    '',
    `${passed} of ${runs} runs passed.`,
  ].join('\n');
  writeFileSync(FILE, putSection(readFileSync(FILE, 'utf8'), 'under-load', stamped(body)));
  process.stdout.write(`${body}\n`);
  if (passed < runs) process.exitCode = 1;
}

if (require.main === module) void main().catch((e) => { console.error(e); process.exit(1); });
