import { rabbitmqPermissions } from '../lib/amqp/permissions';
import type { LocalStack, LocalStackOptions } from './local-stack';
import { formatSummary, runScenario, type Scenario, type ScenarioSummary } from './scenario';

export { formatSummary };
export type DemoSummary = ScenarioSummary;

export interface DemoOptions {
  shortTasks: number;
  longTasks: number;
  /** Seconds between executions (the EventBridge schedule, sped up). */
  cycleSeconds: number;
  /** Give up after this long. */
  maxSeconds: number;
  log: (line: string) => void;
  /** The Celery broker: a redis-server (default), or a RabbitMQ node of the demo's own with state in DynamoDB (dynalite). */
  broker?: 'redis' | 'rabbitmq';
}

/**
 * Two services as a team might run them, with every time scaled down to a demo: `fast` serves
 * two queues of short tasks (e-mails, thumbnails), `reports` one queue of long tasks and scales
 * to zero when idle. Start-up, stabilization and idle times are seconds instead of minutes.
 */
export const DEMO_SERVICES: LocalStackOptions['services'] = {
  fast: {
    queues: ['default', 'emails'], minWorkers: 1, maxWorkers: 6, tasksPerWorkerPerMinute: 120, targetMinutes: 0.75,
    startupSeconds: 3, stabilizationSeconds: 9, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 3, idleMinutes: 0.1, drainTimeoutSeconds: 90, initialDesired: 1,
  },
  reports: {
    queues: ['reports'], minWorkers: 0, maxWorkers: 3, tasksPerWorkerPerMinute: 4, targetMinutes: 1,
    startupSeconds: 3, stabilizationSeconds: 9, scaleUpCooldownSeconds: 0, scaleDownCooldownSeconds: 3, idleMinutes: 0.1, drainTimeoutSeconds: 90, initialDesired: 0,
  },
};

/** The demo: a flood of short tasks on two queues and some long ones (5–14 s), then quiet. */
export function demoScenario(o: Omit<DemoOptions, 'log'>): Scenario {
  const half = Math.ceil(o.shortTasks / 2);
  // On RabbitMQ the autoscaler connects as a user with only the permissions docs/runbook.md gives
  // (lib/amqp/permissions.ts), as it would in production; the workers and the publisher as guest.
  const rabbit = o.broker === 'rabbitmq'
    ? { broker: 'rabbitmq' as const, rabbitUser: { user: 'autoscaler', password: 'demo-autoscaler', permissions: rabbitmqPermissions() } }
    : {};
  return {
    name: 'demo',
    stack: { services: DEMO_SERVICES, startupDelayMs: 1000, stopGraceMs: 30_000, concurrency: 2, ...rabbit },
    workload: [
      { queue: 'default', prefix: 'short-', count: half, seconds: (i) => 0.1 + (i % 5) * 0.05 },
      { queue: 'emails', prefix: 'mail-', count: o.shortTasks - half, seconds: (i) => 0.1 + (i % 3) * 0.1 },
      { queue: 'reports', prefix: 'long-', count: o.longTasks, seconds: (i) => 5 + (i % 4) * 3 },
    ],
    cycleSeconds: o.cycleSeconds,
    maxSeconds: o.maxSeconds,
  };
}

export function runDemo(o: DemoOptions, onStack?: (s: LocalStack) => void): Promise<DemoSummary> {
  return runScenario(demoScenario(o), o.log, onStack);
}
