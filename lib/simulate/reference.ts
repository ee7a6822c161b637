import { serviceSchema, type ServiceConfig } from '../config';
import type { SimService, WorkerModel } from './model';
import { burst, generate, logNormal, poisson, uniform, type Rand } from './generate';
import type { SimSetup } from './policies/types';
import type { Trace, TraceTask } from './trace';

/** The autoscaler's cycle: the deployed schedule is `rate(1 minute)`. */
export const CYCLE_SECONDS = 60;

/** A workload's own facts for one service: what its workers are and what its users need. */
export interface ServiceFacts {
  queues: string[];
  concurrency: number;
  prefetchMultiplier?: number;
  acksLate?: boolean;
  startupSeconds: number;
  targetMinutes: number;
  minWorkers: number;
  maxWorkers: number;
}

export interface ReferenceTrace {
  name: string;
  description: string;
  horizonSeconds: number;
  services: Record<string, ServiceFacts>;
  parts: ((rand: Rand) => TraceTask[])[];
}

const HOUR = 3600;
const MIN = 60;

export const REFERENCE_TRACES: ReferenceTrace[] = [
  {
    name: 'flood',
    description: '5,000 e-mails queued within a minute, then two hours of silence',
    horizonSeconds: 2 * HOUR,
    services: { default: { queues: ['emails'], concurrency: 4, startupSeconds: 60, targetMinutes: 10, minWorkers: 0, maxWorkers: 40 } },
    parts: [(r) => burst(r, 'emails', 150, 5000, 60, logNormal(3, 0.6, 0.5, 30))],
  },
  {
    name: 'bursts',
    description: '12 bursts of 800 thumbnails, one every 20 minutes',
    horizonSeconds: 4 * HOUR + 20 * MIN,
    services: { default: { queues: ['thumbnails'], concurrency: 2, startupSeconds: 60, targetMinutes: 5, minWorkers: 0, maxWorkers: 50 } },
    parts: Array.from({ length: 12 }, (_, i) => (r: Rand) => burst(r, 'thumbnails', 300 + i * 20 * MIN + 60 * r(), 800, 30, uniform(5, 15))),
  },
  {
    name: 'daily',
    description: 'a day of user-driven jobs: 12/min at 04:00 rising to 150/min at 16:00 (Poisson)',
    horizonSeconds: 24 * HOUR,
    services: { default: { queues: ['default'], concurrency: 4, startupSeconds: 60, targetMinutes: 5, minWorkers: 1, maxWorkers: 20 } },
    parts: [(r) => poisson(r, 'default', 0, 24 * HOUR, (t) => 12 + 138 * (1 - Math.cos((2 * Math.PI * (t - 4 * HOUR)) / (24 * HOUR))) / 2, 150, logNormal(5, 0.8, 0.2, 120))],
  },
  {
    name: 'steady',
    description: '4 hours of a steady 40 tasks/min (Poisson), 10–20 s each',
    horizonSeconds: 4 * HOUR,
    services: { default: { queues: ['default'], concurrency: 2, startupSeconds: 60, targetMinutes: 5, minWorkers: 0, maxWorkers: 20 } },
    parts: [(r) => poisson(r, 'default', 0, 4 * HOUR, () => 40, 40, uniform(10, 20))],
  },
  {
    name: 'mix',
    description: 'two services as in autoscaler.config.yml: steady jobs + hourly e-mail bursts, and hourly reports of 2–10 min',
    horizonSeconds: 4 * HOUR,
    services: {
      default: { queues: ['default', 'emails'], concurrency: 4, startupSeconds: 90, targetMinutes: 5, minWorkers: 1, maxWorkers: 40 },
      reports: { queues: ['reports'], concurrency: 1, startupSeconds: 120, targetMinutes: 30, minWorkers: 0, maxWorkers: 10 },
    },
    parts: [
      (r) => poisson(r, 'default', 0, 4 * HOUR, () => 30, 30, logNormal(4, 0.5, 0.5, 60)),
      ...Array.from({ length: 4 }, (_, i) => (r: Rand) => burst(r, 'emails', 20 * MIN + i * HOUR, 1500, 120, logNormal(1.5, 0.4, 0.2, 10))),
      ...Array.from({ length: 4 }, (_, i) => (r: Rand) => burst(r, 'reports', 5 * MIN + i * HOUR, 25, 120, uniform(120, 600))),
    ],
  },
  {
    name: 'long',
    description: '40 video encodes (5–20 min each) at the top of every hour for 6 hours; workers use acks_late',
    horizonSeconds: 7 * HOUR,
    services: { default: { queues: ['video'], concurrency: 1, acksLate: true, startupSeconds: 120, targetMinutes: 15, minWorkers: 0, maxWorkers: 40 } },
    parts: Array.from({ length: 6 }, (_, i) => (r: Rand) => burst(r, 'video', 2 * MIN + i * HOUR, 40, 5 * MIN, uniform(300, 1200))),
  },
  // Four workloads written to break the planner where a reactive controller is weakest: a blast on
  // a quiet queue, clumps of tasks of a third of the target behind a long start-up, a flash crowd
  // after hours of quiet, and a short target on bursty hours. None was used to tune it.
  {
    name: 'blast',
    description: '6,000 short tasks within 90 s on a queue that otherwise sees a task a minute',
    horizonSeconds: 90 * MIN,
    services: { default: { queues: ['jobs'], concurrency: 4, startupSeconds: 60, targetMinutes: 5, minWorkers: 0, maxWorkers: 60 } },
    parts: [
      (r) => poisson(r, 'jobs', 0, 90 * MIN, () => 1, 1, logNormal(2, 0.5, 0.2, 20)),
      (r) => burst(r, 'jobs', 40 * MIN, 6000, 90, logNormal(2, 0.5, 0.2, 20)),
    ],
  },
  {
    name: 'transcodes',
    description: 'clumps of 10–30 transcodes (4–15 min) every 1–2 hours for 8 hours; a 3-minute start-up, a 30-minute target',
    horizonSeconds: 9 * HOUR,
    services: { default: { queues: ['transcode'], concurrency: 1, startupSeconds: 180, targetMinutes: 30, minWorkers: 0, maxWorkers: 30 } },
    parts: [(r) => {
      const out: TraceTask[] = [];
      for (let t = 5 * MIN; t < 8 * HOUR; t += (1 + r()) * HOUR) out.push(...burst(r, 'transcode', t, 10 + Math.floor(21 * r()), 3 * MIN, uniform(240, 900)));
      return out;
    }],
  },
  {
    name: 'flash',
    description: 'three hours of a task every few minutes, then 25,000 sub-second tasks within 4 minutes',
    horizonSeconds: 4 * HOUR,
    services: { default: { queues: ['events'], concurrency: 8, startupSeconds: 60, targetMinutes: 5, minWorkers: 0, maxWorkers: 40 } },
    parts: [
      (r) => poisson(r, 'events', 0, 4 * HOUR, () => 0.3, 0.3, logNormal(0.4, 0.5, 0.05, 5)),
      (r) => burst(r, 'events', 3 * HOUR, 25000, 4 * MIN, logNormal(0.4, 0.5, 0.05, 5)),
    ],
  },
  {
    name: 'webhooks',
    description: 'webhook deliveries with a 2-minute target: 5/min, and in about half the hours 3–6 bursts of 200–1,500',
    horizonSeconds: 12 * HOUR,
    services: { default: { queues: ['webhooks'], concurrency: 4, startupSeconds: 45, targetMinutes: 2, minWorkers: 0, maxWorkers: 30 } },
    parts: [
      (r) => poisson(r, 'webhooks', 0, 12 * HOUR, () => 5, 5, logNormal(0.8, 0.7, 0.1, 15)),
      (r) => {
        const out: TraceTask[] = [];
        for (let h = 0; h < 12; h += 1) {
          if (r() < 0.5) continue;
          const n = 3 + Math.floor(4 * r());
          for (let i = 0; i < n; i += 1) out.push(...burst(r, 'webhooks', h * HOUR + r() * (HOUR - 2 * MIN), 200 + Math.floor(1301 * r()), 30 + 60 * r(), logNormal(0.8, 0.7, 0.1, 15)));
        }
        return out;
      },
    ],
  },
];

export const referenceTraceNames = (): string[] => REFERENCE_TRACES.map((t) => t.name);

export function findReferenceTrace(name: string): ReferenceTrace | undefined {
  return REFERENCE_TRACES.find((t) => t.name === name);
}

/** What a worker of this service really does: concurrency × 60 / mean task duration (tasks/min). */
export function measuredThroughput(tasks: TraceTask[], queues: string[], concurrency: number): number {
  const mine = tasks.filter((t) => queues.includes(t.queue));
  const mean = mine.reduce((a, t) => a + t.duration, 0) / Math.max(1, mine.length);
  return Number(((concurrency * 60) / Math.max(mean, 1e-3)).toPrecision(3));
}

export const workerModel = (f: Pick<ServiceFacts, 'concurrency' | 'prefetchMultiplier' | 'acksLate' | 'startupSeconds'>): WorkerModel => ({
  concurrency: f.concurrency,
  prefetchMultiplier: f.prefetchMultiplier ?? 1,
  acksLate: f.acksLate ?? false,
  startupSeconds: f.startupSeconds,
  stopTimeoutSeconds: 30,
});

/** A workload's services: its facts + the shared knobs, μ what its workers really do on these tasks. */
export function servicesOf(facts: Record<string, ServiceFacts>, tasks: TraceTask[]): SimSetup {
  const services: SimService[] = Object.entries(facts).map(([name, f]) => {
    const config: ServiceConfig = serviceSchema.parse({
      cluster: 'sim', service: name, queues: f.queues, minWorkers: f.minWorkers, maxWorkers: f.maxWorkers,
      targetMinutes: f.targetMinutes, startupSeconds: f.startupSeconds,
      tasksPerWorkerPerMinute: measuredThroughput(tasks, f.queues, f.concurrency),
    });
    return { name, config, worker: workerModel(f) };
  });
  return { services, cycleSeconds: CYCLE_SECONDS };
}

/** A reference trace's tasks (seeded) and the services it runs with. */
export function buildReference(ref: ReferenceTrace, seed: number): { trace: Trace; setup: SimSetup } {
  const tasks = generate(seed, ref.parts);
  return { trace: { name: ref.name, tasks, horizonSeconds: ref.horizonSeconds }, setup: servicesOf(ref.services, tasks) };
}
