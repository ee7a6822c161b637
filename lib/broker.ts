import type Redis from 'ioredis';
import { brokerForUrl } from './broker-url';
import { connectBroker, ensureReady } from './celery/connection';
import { CeleryControl, type RemoteControl } from './celery/control';
import { readQueueDepths } from './celery/probe';
import type { BrokerConfig } from './config';
import { AmqpConnection } from './amqp/connection';
import { AmqpControl } from './amqp/control';
import { readAmqpQueueDepths } from './amqp/depth';
import { transportOfUrl } from './config';

/**
 * One broker connection as the cycle uses it, whichever broker it is: Celery's remote control,
 * the ready messages per queue, a reachability check and a close. lib/runtime.ts picks the
 * transport from the URL's scheme; nothing past it knows which one it got.
 */
export interface BrokerClient {
  transport: 'redis' | 'amqp';
  control: RemoteControl;
  /**
   * Messages waiting per queue (over every priority sub-list on Redis, a queue's ready count on
   * RabbitMQ), and the messages workers took and have not acknowledged where the broker tells in
   * the same read (kombu's `unacked` hash on Redis; null on RabbitMQ, whose unacked messages are the
   * workers' reserved and active tasks).
   */
  depths(queues: string[]): Promise<{ pending: Record<string, number>; unacked: number | null }>;
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
    depths: (queues) => readQueueDepths(redis, broker, queues),
    reach: () => ensureReady(redis, broker.connectTimeoutMs),
    close() {
      control.close();
      redis.disconnect();
    },
  };
}

/**
 * Celery on RabbitMQ (kombu's pyamqp transport): one AMQP connection, opened on first use and again
 * after the broker closed it; remote control as kombu's Mailbox over AMQP, depth by passive declare.
 */
export function amqpBroker(config: BrokerConfig, url: string): BrokerClient & { connection: AmqpConnection; control: AmqpControl } {
  const connection = new AmqpConnection(url, { connectTimeoutMs: config.connectTimeoutMs });
  const control = new AmqpControl(connection, config);
  return {
    transport: 'amqp',
    connection,
    control,
    depths: async (queues) => ({ pending: (await readAmqpQueueDepths(connection, queues)).pending, unacked: null }),
    reach: async () => { await connection.get(); },
    close() {
      control.close();
      void connection.close();
    },
  };
}

/** The broker the URL's scheme names. */
export function openBrokerClient(config: BrokerConfig, url: string): BrokerClient {
  return transportOfUrl(url) === 'amqp' ? amqpBroker(config, url) : redisBroker(config, url);
}
