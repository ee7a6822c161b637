import type Redis from 'ioredis';
import type { BrokerConfig } from '../config';
import { brokerError, ensureReady } from './connection';
import { prefixed, queueLists, UNACKED } from './keys';

export interface QueueDepths {
  /** Pending messages per queue, summed over its priority sub-lists. */
  pending: Record<string, number>;
  /** Messages taken by workers and not yet acknowledged (prefetched, with acks on start). */
  unacked: number;
}

/** Every queue's depth and the unacked count in one pipelined round trip: LLEN ×(queues×steps), HLEN. */
export async function readQueueDepths(redis: Redis, broker: Pick<BrokerConfig, 'globalKeyprefix' | 'prioritySteps' | 'connectTimeoutMs'>, queues: string[]): Promise<QueueDepths> {
  const lists = queues.map((q) => queueLists(q, broker.prioritySteps).map((l) => prefixed(broker, l)));
  let res: [Error | null, unknown][] | null;
  try {
    await ensureReady(redis, broker.connectTimeoutMs);
    const pipe = redis.pipeline();
    for (const l of lists.flat()) pipe.llen(l);
    pipe.hlen(prefixed(broker, UNACKED));
    res = await pipe.exec();
  } catch (e) {
    throw brokerError(e, 'reading queue depths');
  }
  if (!res) throw brokerError(new Error('no reply to pipeline'), 'reading queue depths');
  const failed = res.find(([err]) => err);
  if (failed) throw brokerError(failed[0], 'reading queue depths');
  const values = res.map(([, v]) => Number(v));
  const pending: Record<string, number> = {};
  let i = 0;
  queues.forEach((q, qi) => {
    pending[q] = 0;
    for (let k = 0; k < lists[qi].length; k += 1) pending[q] += values[i++];
  });
  return { pending, unacked: values[i] };
}
