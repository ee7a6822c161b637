import type { BrokerClient } from '../broker';
import type { AutoscalerConfig } from '../config';
import { inspectNodes, type NodeSnapshot } from './inspect';

export interface BrokerMeasurement {
  at: number;
  /** service → queue → pending. */
  queues: Record<string, Record<string, number>>;
  /** Taken by workers and not acknowledged, where the broker tells (Redis); null on RabbitMQ. */
  unacked: number | null;
  nodes: NodeSnapshot[];
  missing: string[];
  unanswered: number;
}

/**
 * One measurement of the broker: every configured queue's depth, and every worker's tasks.
 * The control client is the caller's: each one owns a reader connection that must be reused
 * across cycles and closed by its owner, or a warm Lambda leaks a connection per cycle.
 */
export async function measureBroker(broker: Pick<BrokerClient, 'control' | 'depths'>, config: AutoscalerConfig, opts: { withQueues?: boolean } = {}): Promise<BrokerMeasurement> {
  const at = Date.now();
  const allQueues = Object.values(config.services).flatMap((s) => s.queues);
  const [depths, inspection] = await Promise.all([broker.depths(allQueues), inspectNodes(broker.control, opts)]);
  const queues: Record<string, Record<string, number>> = {};
  for (const [name, s] of Object.entries(config.services)) {
    queues[name] = Object.fromEntries(s.queues.map((q) => [q, depths.pending[q]]));
  }
  return { at, queues, unacked: depths.unacked, ...inspection };
}
