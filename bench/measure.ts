import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { CeleryControl } from '../lib/celery/control';
import { inspectNodes } from '../lib/celery/inspect';
import { measureBroker } from '../lib/celery/measure';
import { readQueueDepths } from '../lib/celery/probe';
import { parseConfig } from '../lib/config';
import { CeleryWorker, FIXTURE_DIR, celeryPythonPath } from '../local/celery/worker';
import { RedisServer } from '../local/redis-server';
import { quantile } from './stats';

const run = promisify(execFile);
const QUEUES = 50;
const WORKERS = 20;
const RUNS = 30;


/** Full measure (50 queues, 20 workers) against `celery inspect active` on the same workers. */
export async function measureBench(): Promise<string> {
  const server = await RedisServer.start();
  const queues = Array.from({ length: QUEUES }, (_, i) => `bench${i}`);
  const workers: CeleryWorker[] = [];
  const redis = new Redis(server.url);
  try {
    for (let i = 0; i < WORKERS; i += 4) {
      workers.push(...(await Promise.all(Array.from({ length: Math.min(4, WORKERS - i) }, (_, j) => CeleryWorker.start({
        brokerUrl: server.url, queues: queues.slice(((i + j) * 5) % QUEUES, ((i + j) * 5) % QUEUES + 5), nodeName: `bench${i + j}@local`, concurrency: 1, readyTimeoutMs: 120_000,
      })))));
    }
    const config = parseConfig({
      broker: { url: server.url, controlTimeoutMs: 2000 },
      services: Object.fromEntries(Array.from({ length: 10 }, (_, s) => [`s${s}`, { cluster: 'c', service: `s${s}`, queues: queues.slice(s * 5, s * 5 + 5), maxWorkers: 10, tasksPerWorkerPerMinute: 1 }])),
    });
    const control = new CeleryControl(redis, config.broker);
    const timed = async (fn: () => Promise<unknown>, runs = RUNS): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < runs + 3; i += 1) {
        const t = process.hrtime.bigint();
        await fn();
        if (i >= 3) out.push(Number(process.hrtime.bigint() - t) / 1e6); // warm-up runs excluded
      }
      return out;
    };
    // What MeasureQueues does each cycle: active_queues too, for self-healing (as the `measure` command).
    const cycle = await timed(async () => {
      const m = await measureBroker({ control, depths: (qs) => readQueueDepths(redis, config.broker, qs) }, config);
      if (m.nodes.length !== WORKERS) throw new Error(`measure saw ${m.nodes.length} of ${WORKERS} workers`);
    });
    const withoutQueues = await timed(() => measureBroker({ control, depths: (qs) => readQueueDepths(redis, config.broker, qs) }, config, { withQueues: false }));
    const one = await timed(() => inspectNodes(control, { destination: ['bench0@local'], withQueues: false }));
    control.close();
    const cli: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const t = process.hrtime.bigint();
      await run('/usr/bin/python3', ['-m', 'celery', '-A', 'tasks', 'inspect', 'active', '--timeout', '2'], { cwd: FIXTURE_DIR, env: { ...process.env, PYTHONPATH: celeryPythonPath(), CELERY_BROKER_URL: server.url } });
      cli.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const med = quantile(cycle, 0.5);
    const cliMed = quantile(cli, 0.5);
    const f = (x: number) => x.toFixed(1);
    const row = (what: string, xs: number[]) => `| ${what} | ${xs.length} | ${f(quantile(xs, 0.5))} | ${f(quantile(xs, 0.95))} |`;
    return [
      `## measure: ${QUEUES} queues, ${WORKERS} workers (local redis-server, prefork workers)\n`,
      '| what | runs | median ms | p95 ms |',
      '|---|---:|---:|---:|',
      row(`a cycle's measurement (and the \`measure\` command): depths of every priority list of ${QUEUES} queues (one pipeline) + active, reserved, scheduled, stats, active_queues from ${WORKERS} workers`, cycle),
      row('the same without active_queues (what a cycle asked before it checked every worker\'s queues)', withoutQueues),
      row('one worker alone: active, reserved, scheduled, stats', one),
      row('`celery -A tasks inspect active` (one command only)', cli),
      '',
      `Speed-up: ${(cliMed / med).toFixed(0)}× (goal ≥ 10×); median ${f(med)} ms (goal ≤ 50 ms): ${med <= 50 && cliMed / med >= 10 ? 'met' : 'NOT met'}.`,
      '',
      `Where the time goes: the ${WORKERS} workers share this machine's ${cpus().length} cores, and each answers every command in its own Python main process (about 1 ms of CPU per reply), so ${WORKERS} × 5 replies queue up for the cores; one worker alone answers four in the time of the third row. On ECS each worker has its own CPU and answers in parallel. The queue depths take one pipelined round trip (about 3 ms for ${QUEUES * 4} lists).`,
      '',
    ].join('\n');
  } finally {
    redis.disconnect();
    await Promise.allSettled(workers.map((w) => w.stop('SIGKILL', 0)));
    await server.stop();
  }
}
