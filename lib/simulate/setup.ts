import type { AutoscalerConfig } from '../config';
import { serviceSchema } from '../config';
import { AutoscalerError } from '../errors';
import type { SimService } from './model';
import type { SimSetup } from './policies/types';
import { CYCLE_SECONDS, measuredThroughput, workerModel } from './reference';
import type { TraceTask } from './trace';

/** A trace's queue that no configured service consumes. */
export class UnknownQueueError extends AutoscalerError {}

export interface WorkerOptions {
  /** Worker concurrency; by default what makes the configured μ match the trace's mean duration. */
  concurrency?: number;
  prefetchMultiplier?: number;
  acksLate?: boolean;
}

const queuesOf = (tasks: TraceTask[]): string[] => [...new Set(tasks.map((t) => t.queue))];

/**
 * The services of a user's autoscaler config, as the simulator runs them: queues, bounds, μ,
 * target, start-up and every knob come from the file. Concurrency is not in the config: by
 * default the one at which a worker does the configured μ on this trace's tasks.
 */
export function setupFromConfig(config: AutoscalerConfig, tasks: TraceTask[], source: string, o: WorkerOptions = {}): SimSetup {
  const owner = new Map(Object.entries(config.services).flatMap(([name, s]) => s.queues.map((q) => [q, name] as const)));
  const unknown = queuesOf(tasks).filter((q) => !owner.has(q));
  if (unknown.length > 0) {
    throw new UnknownQueueError(`queue ${unknown.map((q) => `"${q}"`).join(', ')} in the trace is consumed by no service of ${source} (services: ${Object.entries(config.services).map(([n, s]) => `${n} [${s.queues.join(', ')}]`).join('; ')})`);
  }
  const used = new Set(queuesOf(tasks).map((q) => owner.get(q) as string));
  const services: SimService[] = Object.entries(config.services).filter(([name]) => used.has(name)).map(([name, config]) => {
    const mine = tasks.filter((t) => config.queues.includes(t.queue));
    const meanSeconds = mine.reduce((a, t) => a + t.duration, 0) / Math.max(1, mine.length);
    const concurrency = o.concurrency ?? Math.max(1, Math.round((config.tasksPerWorkerPerMinute * meanSeconds) / 60));
    return { name, config, worker: workerModel({ concurrency, prefetchMultiplier: o.prefetchMultiplier, acksLate: o.acksLate, startupSeconds: config.startupSeconds }) };
  });
  return { services, cycleSeconds: CYCLE_SECONDS };
}

/** A CSV without a config: one service consuming all its queues, with the reference defaults. */
export function defaultSetup(tasks: TraceTask[], o: WorkerOptions = {}): SimSetup {
  const queues = queuesOf(tasks);
  const concurrency = o.concurrency ?? 1;
  const config = serviceSchema.parse({
    cluster: 'sim', service: 'default', queues, minWorkers: 0, maxWorkers: 50, targetMinutes: 5, startupSeconds: 60,
    tasksPerWorkerPerMinute: measuredThroughput(tasks, queues, concurrency),
  });
  return { services: [{ name: 'default', config, worker: workerModel({ concurrency, prefetchMultiplier: o.prefetchMultiplier, acksLate: o.acksLate, startupSeconds: 60 }) }], cycleSeconds: CYCLE_SECONDS };
}

/** The service asked for is not in the simulation. */
export class UnknownServiceError extends AutoscalerError {}

/** Keeps one service and the tasks of its queues. */
export function onlyService(setup: SimSetup, tasks: TraceTask[], service: string): { setup: SimSetup; tasks: TraceTask[] } {
  const s = setup.services.find((x) => x.name === service);
  if (!s) throw new UnknownServiceError(`no service "${service}" in this simulation (services: ${setup.services.map((x) => x.name).join(', ')})`);
  return { setup: { ...setup, services: [s] }, tasks: tasks.filter((t) => s.config.queues.includes(t.queue)) };
}
