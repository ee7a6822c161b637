import { readFileSync } from 'node:fs';
import { parseConfig } from '../lib/config';
import { measureQueues } from '../lib/cycle/measure-queues';
import { runAsync } from '../lib/cycle/ports';
import type { EcsService } from '../lib/ecs';
import { envOf } from '../lib/runtime-env';
import { assembleRuntime } from '../lib/runtime';

/**
 * The measuring side of bench/measure-fleet.ts, bundled and run in its own Node process (as a
 * Lambda runs its bundle) with a capped heap: runs the real MeasureQueues step `cycles` times
 * against a broker whose workers are named celery@<taskId>, and prints times and memory as JSON.
 */
async function main(): Promise<void> {
  const { url, taskIds, cycles } = JSON.parse(readFileSync(process.argv[2], 'utf8')) as { url: string; taskIds: string[]; cycles: number };
  const config = parseConfig({
    hardMaxWorkers: 1000,
    broker: { url, controlTimeoutMs: 1500 },
    services: { fleet: { cluster: 'c', service: 'fleet', queues: ['q1', 'q2'], maxWorkers: 1000, tasksPerWorkerPerMinute: 10 } },
  });
  const tasks = taskIds.map((taskId, i) => ({ taskId, taskArn: `arn:aws:ecs:us-east-1:1:task/c/${taskId}`, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', privateIp: null, startedAt: Date.now() - i * 1000 }));
  const ecs = { describe: async () => ({ desired: tasks.length, running: tasks.length, pending: 0, deploymentInProgress: false }), tasks: async () => tasks } as unknown as EcsService;
  const rt = assembleRuntime(config, url, { stage: 'bench', ecsService: () => ecs });
  const env = envOf(rt);
  let peakHeap = 0;
  let peakRss = 0;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 5);
  const ms: number[] = [];
  const answered: number[] = [];
  const restored: number[] = [];
  const missing: number[] = [];
  for (let i = 0; i < cycles; i += 1) {
    const t = process.hrtime.bigint();
    const r = await runAsync(measureQueues(env, {}, `bench-${i}`));
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    answered.push(r.measurement.services.fleet.workers);
    missing.push(r.measurement.services.fleet.missing);
    restored.push(r.queuesRestored);
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }
  clearInterval(sample);
  rt.close();
  process.stdout.write(JSON.stringify({ ms, answered, missing, restored, peakHeap, peakRss, maxRss: process.resourceUsage().maxRSS * 1024 }));
}

void main().catch((e) => { console.error(e); process.exit(1); });
