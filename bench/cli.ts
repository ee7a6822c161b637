import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CeleryWorker } from '../local/celery/worker';
import { RedisServer } from '../local/redis-server';
import { quantile } from './stats';

const run = promisify(execFile);
const BIN = join(__dirname, '..', 'bin', 'celery-autoscaler.js');
const RUNS = 15;

/** Wall-clock of whole CLI processes, from spawn to exit, as a person at a terminal waits for them. */
async function timedRuns(args: string[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS + 2; i += 1) {
    const t = process.hrtime.bigint();
    await run(process.execPath, [BIN, ...args]);
    if (i >= 2) out.push(Number(process.hrtime.bigint() - t) / 1e6); // the first two warm the disk cache
  }
  return out;
}

/** `--help` and `measure` against a local redis-server with one worker. */
export async function cliBench(): Promise<string> {
  const server = await RedisServer.start();
  const worker = await CeleryWorker.start({ brokerUrl: server.url, queues: ['emails'], nodeName: 'bench@local', concurrency: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  try {
    const config = join(dir, 'config.yml');
    writeFileSync(config, `broker: { url: "${server.url}" }\nservices:\n  mail: { cluster: c, service: s, queues: [emails], maxWorkers: 5, tasksPerWorkerPerMinute: 10 }\n`);
    const version = await timedRuns(['--version']);
    const rows: [string, number[], number][] = [
      ['`celery-autoscaler --help`', await timedRuns(['--help']), 150],
      ['`celery-autoscaler measure` (one worker, local redis-server), end to end', await timedRuns(['measure', '--config', config]), 400],
    ];
    const f = (x: number) => x.toFixed(0);
    return [
      '## cli: how long a command takes, from start to exit\n',
      `${RUNS} runs each of the built CLI (\`npm ci\` builds it: scripts/build.js), after two warm-up runs; Node's own start-up is part of every figure.\n`,
      '| command | median ms | p95 ms | goal ms | |',
      '|---|---:|---:|---:|---|',
      ...rows.map(([what, xs, goal]) => `| ${what} | ${f(quantile(xs, 0.5))} | ${f(quantile(xs, 0.95))} | ≤ ${goal} | ${quantile(xs, 0.5) <= goal ? 'met' : 'NOT met'} |`),
      `| \`celery-autoscaler --version\` (for scale: Node starting and the bundle loading) | ${f(quantile(version, 0.5))} | ${f(quantile(version, 0.95))} | | |`,
      '',
      'A command loads its heavy modules (the AWS SDK, ioredis, the local stack) only in its own action, so `--help` loads commander, zod and yaml alone.',
      '',
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await worker.stop('SIGKILL', 0);
    await server.stop();
  }
}
