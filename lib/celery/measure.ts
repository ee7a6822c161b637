import type Redis from 'ioredis';
import type { AutoscalerConfig } from '../config';
import type { CeleryControl } from './control';
import { inspectNodes, type NodeSnapshot } from './inspect';
import { readQueueDepths } from './probe';

export interface BrokerMeasurement {
  at: number;
  /** service → queue → pending. */
  queues: Record<string, Record<string, number>>;
  unacked: number;
  nodes: NodeSnapshot[];
  missing: string[];
  unanswered: number;
}

/**
 * One measurement of the broker: every configured queue's depth, and every worker's tasks.
 * The control client is the caller's: each one owns a reader connection that must be reused
 * across cycles and closed by its owner, or a warm Lambda leaks a connection per cycle.
 */
export async function measureBroker(redis: Redis, config: AutoscalerConfig, control: CeleryControl, opts: { withQueues?: boolean } = {}): Promise<BrokerMeasurement> {
  const at = Date.now();
  const allQueues = Object.values(config.services).flatMap((s) => s.queues);
  const [depths, inspection] = await Promise.all([readQueueDepths(redis, config.broker, allQueues), inspectNodes(control, opts)]);
  const queues: Record<string, Record<string, number>> = {};
  for (const [name, s] of Object.entries(config.services)) {
    queues[name] = Object.fromEntries(s.queues.map((q) => [q, depths.pending[q]]));
  }
  return { at, queues, unacked: depths.unacked, ...inspection };
}
