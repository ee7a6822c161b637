import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { amqpBroker } from '../lib/broker';
import { inspectNodes } from '../lib/celery/inspect';
import { measureBroker } from '../lib/celery/measure';
import { parseConfig } from '../lib/config';
import { CeleryWorker, FIXTURE_DIR, celeryPythonPath } from '../local/celery/worker';
import { RabbitMqServer } from '../local/rabbitmq-server';
import { quantile } from './stats';

const run = promisify(execFile);
const QUEUES = 50;
const WORKERS = 20;
const RUNS = 20;
const CONTROL_TIMEOUT_MS = 1500;

/**
 * The `measure` section's workload on RabbitMQ: 50 queues, 20 real workers on pyamqp, the
 * autoscaler's measurement (a passive declare per queue, the remote-control broadcasts) against
 * `celery inspect active` on the same node. A broadcast on AMQP cannot know how many workers
 * heard it (a fanout does not say, unlike Redis's PUBLISH count), so it waits the whole control
 * timeout; a call to named workers returns when they all answered.
 */
export async function measureRabbitmqBench(): Promise<string> {
  const server = await RabbitMqServer.start();
  const queues = Array.from({ length: QUEUES }, (_, i) => `bench${i}`);
  const workers: CeleryWorker[] = [];
  const config = parseConfig({
    broker: { url: server.url(), controlTimeoutMs: CONTROL_TIMEOUT_MS },
    services: Object.fromEntries(Array.from({ length: 10 }, (_, s) => [`s${s}`, { cluster: 'c', service: `s${s}`, queues: queues.slice(s * 5, s * 5 + 5), maxWorkers: 10, tasksPerWorkerPerMinute: 1 }])),
  });
  const broker = amqpBroker(config.broker, server.url());
  try {
    for (let i = 0; i < WORKERS; i += 4) {
      workers.push(...(await Promise.all(Array.from({ length: Math.min(4, WORKERS - i) }, (_, j) => CeleryWorker.start({
        brokerUrl: server.celeryUrl(), queues: queues.slice(((i + j) * 5) % QUEUES, ((i + j) * 5) % QUEUES + 5), nodeName: `bench${i + j}@local`, concurrency: 1, readyTimeoutMs: 120_000,
      })))));
    }
    const nodes = workers.map((w) => w.node);
    const timed = async (fn: () => Promise<unknown>, runs = RUNS): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < runs + 2; i += 1) {
        const t = process.hrtime.bigint();
        await fn();
        if (i >= 2) out.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      return out;
    };
    const cycle = await timed(async () => {
      const m = await measureBroker(broker, config);
      if (m.nodes.length !== WORKERS) throw new Error(`measure saw ${m.nodes.length} of ${WORKERS} workers`);
    });
    const depths = await timed(() => broker.depths(queues));
    const named = await timed(async () => {
      const i = await inspectNodes(broker.control, { destination: nodes });
      if (i.nodes.length !== WORKERS) throw new Error(`inspect saw ${i.nodes.length} of ${WORKERS} workers`);
    });
    const cli: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const t = process.hrtime.bigint();
      await run('/usr/bin/python3', ['-m', 'celery', '-A', 'tasks', 'inspect', 'active', '--timeout', '2'], { cwd: FIXTURE_DIR, env: { ...process.env, PYTHONPATH: celeryPythonPath(), CELERY_BROKER_URL: server.celeryUrl() } });
      cli.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const f = (x: number) => x.toFixed(1);
    const row = (what: string, xs: number[]) => `| ${what} | ${xs.length} | ${f(quantile(xs, 0.5))} | ${f(quantile(xs, 0.95))} |`;
    return [
      `## measure-rabbitmq: ${QUEUES} queues, ${WORKERS} workers on RabbitMQ (a local node, prefork workers on pyamqp)\n`,
      '| what | runs | median ms | p95 ms |',
      '|---|---:|---:|---:|',
      row(`a cycle's measurement (and the \`measure\` command): a passive declare of each of ${QUEUES} queues + active, reserved, scheduled, stats, active_queues broadcast to every worker (control timeout ${CONTROL_TIMEOUT_MS} ms)`, cycle),
      row(`the ${QUEUES} queue depths alone (one channel, one passive declare each)`, depths),
      row(`active, reserved, scheduled, stats, active_queues to the ${WORKERS} workers by name (what a drain's polls ask)`, named),
      row('`celery -A tasks inspect active` (one command only, its own 2 s broadcast wait)', cli),
      '',
      `On Redis a broadcast ends when every listener the PUBLISH reached has answered; on AMQP nothing says how many queues a fanout reached, so a broadcast waits the whole control timeout (\`broker.controlTimeoutMs\`, here ${CONTROL_TIMEOUT_MS} ms), and that wait is most of a cycle's measurement. Calls to named workers (CheckDrain's polls, DrainWorkers' cancels) return as soon as they all answered. The \`measure\` section is the same workload on Redis.`,
      '',
    ].join('\n');
  } finally {
    broker.close();
    await Promise.allSettled(workers.map((w) => w.stop('SIGKILL', 0)));
    await server.stop();
  }
}
