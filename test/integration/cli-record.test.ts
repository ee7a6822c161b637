import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { publishTasks } from '../../lib/celery/publish';
import { celeryPythonPath, CeleryWorker, FIXTURE_DIR } from '../../local/celery/worker';
import { spawnTracked, stopProcess, waitFor } from '../../local/processes';
import { RedisServer } from '../../local/redis-server';

const run = promisify(execFile);
const BIN = join(__dirname, '..', '..', 'bin', 'celery-autoscaler.js');

/** A known workload: offsets from the first send, sleeps, one task that fails after sleeping. */
interface Planned { at: number; queue: string; seconds: number; fail?: boolean }
const SCHEDULE: Planned[] = [
  { at: 0, queue: 'q1', seconds: 0.5 },
  { at: 0.1, queue: 'q2', seconds: 0.4 },
  { at: 0.3, queue: 'q1', seconds: 1.2 },
  { at: 0.8, queue: 'q2', seconds: 1.5 },
  { at: 1.0, queue: 'q1', seconds: 0.2 },
  { at: 1.4, queue: 'q2', seconds: 0.1 },
  { at: 2.0, queue: 'q1', seconds: 0.8, fail: true },
  { at: 2.2, queue: 'q2', seconds: 0.6 },
  { at: 2.6, queue: 'q1', seconds: 0.3 },
];
/** Each planned task, its key (its place in the schedule), and whether it fails: the fixture's `tasks.timed` keeps its own start and end. */
const argsOf = (p: Planned, i: number): unknown[] => [`t${i}`, p.seconds, p.fail === true];

/** The fixture app sending the schedule with task_send_sent_event on, as a user's producer would. */
const SENDER = `
import json, sys, time
from tasks import app
app.conf.task_send_sent_event = True
schedule = json.loads(sys.argv[1])
# A producer's first send connects and sets up (0.03-0.1 s, and its task-sent is that late): done
# before the clock starts, to a queue no worker consumes, as a long-running producer has done it.
app.send_task("tasks.sleep_task", args=[0], queue="warm-up")
t0 = time.time()
before = []
sent = []
for s in schedule:
    wait = t0 + s["at"] - time.time()
    if wait > 0:
        time.sleep(wait)
    # task-sent's timestamp is taken inside send_task: between these two reads.
    before.append(time.time())
    app.send_task("tasks.timed", args=s["args"], queue=s["queue"])
    sent.append(time.time())
print(json.dumps({"before": before, "sent": sent}))
`;

interface Row { arrival: number; queue: string; duration: number }

/** How long each planned task really ran, as `tasks.timed` measured itself; the record is then cleared for the next test. */
async function ranOf(url: string): Promise<number[]> {
  const r = new Redis(url);
  try {
    const h = await r.hgetall('fixture:timed');
    await r.del('fixture:timed');
    return SCHEDULE.map((_, i) => {
      const [start, end] = (h[`t${i}`] ?? '').split(' ').map(Number);
      return end - start;
    });
  } finally {
    r.disconnect();
  }
}
const rowsOf = (csv: string): Row[] => csv.split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith('arrival_s')).map((l) => {
  const [a, q, d] = l.split(',');
  return { arrival: Number(a), queue: q, duration: Number(d) };
});

/**
 * Every planned task matched to a recorded row of its queue, in order. Arrivals (from the first)
 * within `arrivalWithin` of when each task was really sent (`sentAt`, epoch seconds, read by the
 * producer itself): 0.1 s from task-sent, whose timestamp the producer takes as it sends, plus the
 * span of the producer's reads around the send; from
 * task-received the arrival is when a worker took the message, later by however long the worker
 * took to get to it (0.59 s seen under a load average of 14), so that mode gets 1 s. Durations
 * against how long each really ran (`ran`, as the task measured itself with time.time()):
 * task-succeeded's `runtime` is Celery's own monotonic span around the body, so the recorded
 * duration matches the body within the two clocks' reads (11 ms short seen under a load average
 * of 14: 50 ms allowed), and is longer by the gap between the span and the body, which is the
 * machine's scheduler's: a few ms idle, 0.23 s seen under a load average of 12. That gap gets 1 s,
 * far below a duration read from the wrong event (task-received includes the wait in the queue).
 */
function expectMatches(rows: Row[], sentAt: number[], ran: number[], arrivalWithin: number | number[] = 0.1): { arrival: number; duration: number }[] {
  expect(rows).toHaveLength(SCHEDULE.length);
  const first = Math.min(...rows.map((r) => r.arrival));
  const firstSent = Math.min(...sentAt);
  const errors: { arrival: number; duration: number }[] = [];
  for (const queue of ['q1', 'q2']) {
    const got = rows.filter((r) => r.queue === queue).sort((a, b) => a.arrival - b.arrival);
    const want = SCHEDULE.map((p, i) => ({ ...p, sent: sentAt[i] - firstSent, seconds: ran[i], within: typeof arrivalWithin === 'number' ? arrivalWithin : arrivalWithin[i] })).filter((p) => p.queue === queue);
    expect(got).toHaveLength(want.length);
    // In planned order, each task takes the unmatched row of its queue that arrived within its
    // tolerance and ran closest to its duration: rows arriving in the same millisecond (a worker
    // taking a batch under load) are otherwise told apart by nothing but the order they finished in.
    const left = [...got];
    want.forEach((p) => {
      const fits = left.filter((r) => Math.abs(r.arrival - first - p.sent) < p.within);
      const row = (fits.length > 0 ? fits : left).reduce((a, b) => (Math.abs(b.duration - p.seconds) < Math.abs(a.duration - p.seconds) ? b : a));
      left.splice(left.indexOf(row), 1);
      const e = { arrival: Math.abs(row.arrival - first - p.sent), duration: Math.abs(row.duration - p.seconds) };
      errors.push(e);
      expect(e.arrival).toBeLessThan(p.within);
      expect(row.duration).toBeGreaterThanOrEqual(p.seconds - 0.05);
      expect(row.duration - p.seconds).toBeLessThan(1);
    });
  }
  return errors;
}

describe('celery-autoscaler record (real workers with -E, the real CLI)', () => {
  let server: RedisServer;
  let workers: CeleryWorker[] = [];
  let dir: string;
  let recorder: ChildProcess | null = null;

  beforeAll(async () => {
    server = await RedisServer.start();
    // One queue per worker: with task-received alone, a task's queue is the one its worker consumes.
    workers = await Promise.all(['q1', 'q2'].map((q) => CeleryWorker.start({ brokerUrl: server.url, queues: [q], nodeName: `rec-${q}@test`, concurrency: 2, events: true })));
    dir = mkdtempSync(join(tmpdir(), 'record-'));
    writeFileSync(join(dir, 'config.yml'), [
      `broker: { url: "${server.url}" }`,
      'services:',
      '  work: { cluster: c, service: s, queues: [q1, q2], maxWorkers: 5, tasksPerWorkerPerMinute: 60, targetMinutes: 1, startupSeconds: 30 }',
    ].join('\n'));
  });
  afterAll(async () => {
    if (recorder) await stopProcess(recorder, 'SIGKILL', 0);
    await Promise.allSettled(workers.map((w) => w.stop('SIGKILL', 0)));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `record`, runs `send` once it listens, lets the tasks finish, stops it with Ctrl-C (SIGINT). */
  async function record(out: string, send: () => Promise<void>): Promise<{ csv: string; stderr: string }> {
    const child = spawnTracked('node', [BIN, 'record', '--config', join(dir, 'config.yml'), '--out', out, '--minutes', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    recorder = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor('record to listen', () => stderr.includes('recording Celery events'), 20_000);
    await send();
    await new Promise((r) => setTimeout(r, 2500)); // the last task (0.3 s) ends and its events arrive
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    recorder = null;
    return { csv: readFileSync(out, 'utf8'), stderr };
  }

  test('task-sent on: every task\'s arrival within 0.1 s of its sending, its duration the span its own events put around its body, the file says where arrivals came from; simulate reads it', async () => {
    const out = join(dir, 'sent.csv');
    let sentAt: number[] = [];
    let before: number[] = [];
    const { csv, stderr } = await record(out, async () => {
      const schedule = SCHEDULE.map((p, i) => ({ ...p, args: argsOf(p, i) }));
      const { stdout } = await run('/usr/bin/python3', ['-c', SENDER, JSON.stringify(schedule)], { cwd: FIXTURE_DIR, env: { ...process.env, PYTHONPATH: celeryPythonPath(), CELERY_BROKER_URL: server.url, BROKER_URL: server.url } });
      ({ before, sent: sentAt } = JSON.parse(stdout.trim().split('\n').at(-1) as string) as { before: number[]; sent: number[] });
    });
    expect(csv.split('\n')[0]).toMatch(/^# recorded by celery-autoscaler record from redis:\/\/127\.0\.0\.1:\d+\/0, /);
    expect(csv).toMatch(/^# arrival: when the task was sent \(task-sent\) for all 9 tasks$/m);
    expect(csv).not.toMatch(/task_send_sent_event|-E/);
    expect(csv).toMatch(/^arrival_s,queue,duration_s$/m);
    // Each task's event was stamped between its two reads: that span (and the first task's, which the
    // arrivals count from) is added to 0.1 s (0.11 s seen apart under a load average of 8).
    const first = sentAt.indexOf(Math.min(...sentAt));
    const errors = expectMatches(rowsOf(csv), sentAt, await ranOf(server.url), sentAt.map((t, i) => 0.1 + (t - before[i]) + (sentAt[first] - before[first])));
    process.stderr.write(`record (task-sent): worst arrival error ${Math.max(...errors.map((e) => e.arrival)).toFixed(3)} s, worst duration error ${Math.max(...errors.map((e) => e.duration)).toFixed(3)} s\n`);
    // The warm-up task was seen (its task-sent), never run, so not recorded.
    expect(stderr).toMatch(/stopped by Ctrl-C: +\d+ s {2}tasks seen 10, recorded 9/);

    const { stdout } = await run('node', [BIN, 'simulate', '--trace', out, '--config', join(dir, 'config.yml'), '--out', dir]);
    expect(stdout).toMatch(/^sent: 9 tasks/);
    expect(stdout).toMatch(/^ {2}this planner\s+[\d.,]+\s.*\s9$/m);
  });

  test('task-sent off (tasks sent without it): arrival is when a worker received it, the queue its worker\'s, and the file says to set task_send_sent_event', async () => {
    const out = join(dir, 'received.csv');
    const redis = new Redis(server.url);
    try {
      const sentAt: number[] = [];
      const { csv } = await record(out, async () => {
        const t0 = Date.now();
        for (const p of SCHEDULE) {
          const wait = t0 + p.at * 1000 - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          await publishTasks(redis, { globalKeyprefix: '', prioritySteps: [0, 3, 6, 9] }, p.queue, [{ task: 'tasks.timed', args: argsOf(p, SCHEDULE.indexOf(p)) }]);
          sentAt.push(Date.now() / 1000);
        }
      });
      expect(csv).toMatch(/^# arrival: when a worker received the task \(task-received\) for all 9 tasks/m);
      expect(csv).toMatch(/^# no task-sent events were seen: set task_send_sent_event = True/m);
      const errors = expectMatches(rowsOf(csv), sentAt, await ranOf(server.url), 1);
      process.stderr.write(`record (task-received): worst arrival error ${Math.max(...errors.map((e) => e.arrival)).toFixed(3)} s, worst duration error ${Math.max(...errors.map((e) => e.duration)).toFixed(3)} s\n`);
    } finally {
      redis.disconnect();
    }
  });

  test('an existing --out is not overwritten without --force: a usage error (exit 2) naming --out', async () => {
    writeFileSync(join(dir, 'keep.csv'), 'x');
    const err = await run('node', [BIN, 'record', '--broker-url', server.url, '--out', join(dir, 'keep.csv'), '--minutes', '1']).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/^error: --out .*exists: pass --force/);
    expect(readFileSync(join(dir, 'keep.csv'), 'utf8')).toBe('x');
  });
});
