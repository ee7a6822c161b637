import type Redis from 'ioredis';
import { brokerForUrl } from './broker-url';
import { connectBroker, ensureReady } from './celery/connection';
import { CeleryControl, type RemoteControl } from './celery/control';
import { readQueueDepths } from './celery/probe';
import type { BrokerConfig } from './config';

/**
 * One broker connection as the cycle uses it, whichever broker it is: Celery's remote control,
 * the ready messages per queue, a reachability check and a close. lib/runtime.ts picks the
 * transport from the URL's scheme; nothing past it knows which one it got.
 */
export interface BrokerClient {
  transport: 'redis' | 'amqp';
  control: RemoteControl;
  /** Messages waiting per queue: over every priority sub-list on Redis, a queue's ready count on RabbitMQ. */
  pending(queues: string[]): Promise<Record<string, number>>;
  /** Connects (within `connectTimeoutMs`), or throws why not. */
  reach(): Promise<void>;
  close(): void;
}

/** Celery on Redis (kombu's Redis transport), on the db the URL decides. */
export function redisBroker(config: BrokerConfig, url: string): BrokerClient & { redis: Redis; control: CeleryControl } {
  const broker = brokerForUrl(config, url);
  const redis = connectBroker(broker, url);
  const control = new CeleryControl(redis, broker);
  return {
    transport: 'redis',
    redis,
    control,
    pending: async (queues) => (await readQueueDepths(redis, broker, queues)).pending,
    reach: () => ensureReady(redis, broker.connectTimeoutMs),
    close() {
      control.close();
      redis.disconnect();
    },
  };
}
