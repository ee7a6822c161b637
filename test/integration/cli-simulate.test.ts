import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'celery-autoscaler.js');

describe('celery-autoscaler simulate (starts no Redis: the simulator is pure)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'simulate-'));
    const rows = Array.from({ length: 60 }, (_, i) => `${i * 2},emails,${3 + (i % 4)}`);
    writeFileSync(join(dir, 'tiny.csv'), `arrival_s,queue,duration_s\n${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'config.yml'), [
      'broker: { url: "redis://127.0.0.1:6379/0" }',
      'services:',
      '  mail: { cluster: c, service: s, queues: [emails], maxWorkers: 5, tasksPerWorkerPerMinute: 12, targetMinutes: 2, startupSeconds: 30 }',
    ].join('\n'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a CSV with a config: one row per policy for the configured service (the best known schedule too), no project goal line, and the SVG chart', async () => {
    const { stdout } = await run('node', [BIN, 'simulate', '--trace', join(dir, 'tiny.csv'), '--config', join(dir, 'config.yml'), '--out', dir]);
    expect(stdout).toMatch(/^tiny: 60 tasks/);
    expect(stdout).toMatch(/^mail \(emails\): 12\/min\/worker, concurrency 1, prefetch 1, target 2 min, start-up 30 s, 0–5 workers$/m);
    expect(stdout).toMatch(/^ {2}policy\s+paid w-min\s+× best known\s+× bound\s+busy w-min\s+paid\/busy\s+in target\s+p95 wait\s+max wait\s+scale actions\s+reversals\s+interrupted\s+completed$/m);
    for (const p of ['this planner', 'fixed fleet \\(peak\\) ×\\d+', 'seed threshold rule', 'KEDA-style', 'AWS target tracking', 'best known \\(hindsight\\)']) expect(stdout).toMatch(new RegExp(`^  ${p}\\s+\\d`, 'm'));
    expect(stdout).not.toMatch(/goal/);
    const chart = join(dir, 'simulate-tiny.svg');
    expect(stdout).toContain(`chart: ${chart}`);
    const svg = readFileSync(chart, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.match(/<g class="panel">/g)).toHaveLength(6);
  });

  test('--json and --policies: the policies asked for, the hindsight search every cost is a ratio to, the certified bound per service; the goal only with --goal', async () => {
    const { stdout } = await run('node', [BIN, 'simulate', '--trace', join(dir, 'tiny.csv'), '--policies', 'planner,keda', '--json', '--out', dir]);
    const out = JSON.parse(stdout);
    expect(out.results.map((r: { policy: string }) => r.policy)).toEqual(['planner', 'keda', 'oracle']);
    expect(out.results[0].total.completed).toBe(60);
    expect(out.results[2].total.xOracle).toBe(1);
    // Two minutes of tasks under a 5-minute target: the bound's slots end before any deadline, so it is 0 (no × bound).
    for (const r of out.results) {
      expect(r.byService.default.bound).toBe(0);
      expect(r.byService.default.xBound).toBeUndefined();
    }
    for (const r of out.results) expect(typeof r.total.reversals).toBe('number');
    expect(out.goal).toBeUndefined();
    const withGoal = JSON.parse((await run('node', [BIN, 'simulate', '--trace', join(dir, 'tiny.csv'), '--policies', 'planner', '--json', '--goal', '--out', dir])).stdout);
    expect(withGoal.goal.xOracle).toBeGreaterThan(0);
  });

  test('a workload family with a seed', async () => {
    const { stdout } = await run('node', [BIN, 'simulate', '--trace', 'periodic-batches', '--seed', '4', '--policies', 'planner', '--out', dir]);
    expect(stdout).toMatch(/^periodic-batches-4: [\d,]+ tasks/);
  });

  test('a bad CSV exits 1 with one line naming the line number', async () => {
    writeFileSync(join(dir, 'bad.csv'), 'arrival_s,queue,duration_s\n1,q,2\n2,q,two\n');
    const err = await run('node', [BIN, 'simulate', '--trace', join(dir, 'bad.csv'), '--out', dir]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr.trim().split('\n')).toHaveLength(1);
    expect(err.stderr).toMatch(/^error: .*bad\.csv line 3, column duration_s: "two" is not a number/);
    expect(existsSync(join(dir, 'simulate-bad.svg'))).toBe(false);
  });

  test('an --out that cannot be created is said before any work, naming the part (not a loop under /proc)', async () => {
    writeFileSync(join(dir, 'a-file'), '');
    for (const [out, why] of [['/proc/nope', /cannot create \/proc\/nope \(E[A-Z]+\)/], [join(dir, 'a-file', 'sub'), /a-file is not a directory/]] as const) {
      const err = await run('node', [BIN, 'simulate', '--trace', 'bursts', '--out', out], { timeout: 20_000 }).catch((e) => e);
      expect(err.code).toBe(2);
      expect(err.stderr).toMatch(new RegExp(`^error: --out ${out.replace(/[/.]/g, '\\$&')}: .*${why.source}`));
    }
  });

  test('a queue no configured service consumes is a one-line error', async () => {
    writeFileSync(join(dir, 'other.csv'), '0,reports,60\n');
    const err = await run('node', [BIN, 'simulate', '--trace', join(dir, 'other.csv'), '--config', join(dir, 'config.yml')]).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr.trim().split('\n')).toHaveLength(1);
    expect(err.stderr).toMatch(/queue "reports" in the trace is consumed by no service of .*config\.yml \(services: mail \[emails\]\)/);
  });

  test('--list shows each reference trace on one line; --help explains the columns', async () => {
    const list = (await run('node', [BIN, 'simulate', '--list'])).stdout.trim().split('\n');
    expect(list.slice(0, 6).map((l) => l.split(/\s+/)[0])).toEqual(['flood', 'bursts', 'daily', 'steady', 'mix', 'long']);
    expect(list).toContain('workload families (a different workload per --seed):');
    expect(list.slice(-14).map((l) => l.split(/\s+/)[0])).toEqual(['quiet-bursts', 'mixed-durations', 'long-trickle', 'periodic-batches', 'diurnal', 'heavy-tail', 'idle-gaps', 'overload', 'two-services', 'hourly-cron', 'slow-ramp', 'flash-crowd', 'long-clumps', 'shared-slots']);
    const help = (await run('node', [BIN, 'simulate', '--help'])).stdout;
    expect(help).toMatch(/--trace <name\|file.csv>/);
    expect(help).toMatch(/over the certified lower bound/);
  });
});
