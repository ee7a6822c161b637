import type { Channel } from 'amqplib';
import { amqpError, type AmqpConnection } from './connection';

export interface AmqpQueueDepths {
  /**
   * Ready messages per queue (queue.declare-ok `message-count`, a passive declare): what no worker
   * holds yet. Messages prefetched by workers are unacknowledged and not in it; they are the
   * workers' `reserved`/`active`, so nothing is counted twice. A queue that does not exist is 0.
   */
  pending: Record<string, number>;
  /** Consumers per queue (`consumer-count`), 0 for a queue that does not exist. */
  consumers: Record<string, number>;
}

/** RabbitMQ answers a passive declare of a missing queue with channel.close 404 NOT_FOUND. */
const isNotFound = (e: unknown): boolean => (e as { code?: unknown })?.code === 404 || /NOT_FOUND/.test(String((e as Error)?.message));

/**
 * Each queue's ready messages, by a passive declare (amqplib `checkQueue`), which creates nothing.
 * A missing queue closes the channel (404 NOT_FOUND): it counts 0 and the next queue is asked on a
 * new channel; the connection stays up. One round trip per queue, on one channel.
 */
export async function readAmqpQueueDepths(connection: AmqpConnection, queues: string[]): Promise<AmqpQueueDepths> {
  const pending: Record<string, number> = {};
  const consumers: Record<string, number> = {};
  let ch: Channel | null = null;
  try {
    for (const q of new Set(queues)) {
      ch ??= await openChannel(connection);
      try {
        const ok = await ch.checkQueue(q);
        pending[q] = ok.messageCount;
        consumers[q] = ok.consumerCount;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        pending[q] = 0;
        consumers[q] = 0;
        ch = null; // closed by the broker with the 404
      }
    }
  } catch (e) {
    throw amqpError(e, 'reading queue depths');
  } finally {
    if (ch) await ch.close().catch(() => undefined);
  }
  return { pending, consumers };
}

async function openChannel(connection: AmqpConnection): Promise<Channel> {
  const ch = await (await connection.get()).createChannel();
  // The 404 of a missing queue arrives as the rejected checkQueue and as this event: not a crash.
  ch.on('error', () => undefined);
  return ch;
}
