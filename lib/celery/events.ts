import type Redis from 'ioredis';
import type { BrokerConfig } from '../config';
import { brokerError, ensureReady } from './connection';
import { prefixed } from './keys';

/**
 * Celery's event stream on a Redis broker (see docs/celery-facts.md, "Events"):
 * celery/events/event.py `get_exchange` makes the `celeryev` exchange a fanout on Redis, and
 * kombu/transport/redis.py `_put_fanout` PUBLISHes each event on `keyprefix_fanout + exchange +
 * '/' + routing_key` (fanout_patterns is on by default), `keyprefix_fanout` being `/{db}.`, with
 * `global_keyprefix` in front (GlobalKeyPrefixMixin prefixes PUBLISH). The routing key is the event
 * type with `-` as `.` (celery/events/dispatcher.py `publish`); a worker buffers its task events and
 * sends them as one `task.multi` message whose body is a JSON list (`flush`). Receivers
 * PSUBSCRIBE `…/celeryev/*` (`_queue_bind` turns the `#` binding into `*`).
 */
export const EVENT_EXCHANGE = 'celeryev';

/** The PSUBSCRIBE pattern that receives every event on this db. */
export const eventPattern = (broker: Pick<BrokerConfig, 'db' | 'globalKeyprefix'>): string => prefixed(broker, `/${broker.db ?? 0}.${EVENT_EXCHANGE}/*`);

/** One event as Celery's EventDispatcher writes it: `type`, `timestamp` (epoch seconds), `hostname`, and per type its fields. */
export interface CeleryEvent {
  type: string;
  timestamp: number;
  hostname?: string;
  uuid?: string;
  name?: string;
  /** task-sent: `queue`, `exchange`, `routing_key` (celery/app/amqp.py send_task_message). */
  queue?: string;
  routing_key?: string;
  /** task-succeeded: seconds the task ran in the pool (celery/app/trace.py, from monotonic()). */
  runtime?: number;
  [field: string]: unknown;
}

/**
 * The events in one published message: kombu's virtual-transport envelope (`body`,
 * `content-type`, `properties.body_encoding`), its body base64 of the JSON event or list of events.
 * Anything else (another serializer, a foreign publisher) gives no events rather than an error.
 */
export function decodeEvents(raw: string | Buffer): CeleryEvent[] {
  try {
    const msg = JSON.parse(raw.toString()) as { body?: unknown; 'content-type'?: string; properties?: { body_encoding?: string } };
    if (typeof msg.body !== 'string' || (msg['content-type'] && msg['content-type'] !== 'application/json')) return [];
    const text = msg.properties?.body_encoding === 'base64' ? Buffer.from(msg.body, 'base64').toString('utf8') : msg.body;
    const body = JSON.parse(text) as unknown;
    const list = Array.isArray(body) ? body : [body];
    return list.filter((e): e is CeleryEvent => typeof e === 'object' && e !== null && typeof (e as CeleryEvent).type === 'string' && typeof (e as CeleryEvent).timestamp === 'number');
  } catch {
    return [];
  }
}

/**
 * Listens to every Celery event on the broker over its own connection (pub/sub holds it). ioredis
 * subscribes again after a reconnect; events published meanwhile are lost, as for any receiver.
 */
export async function listenToEvents(redis: Redis, broker: Pick<BrokerConfig, 'db' | 'globalKeyprefix' | 'connectTimeoutMs'>, onEvent: (e: CeleryEvent) => void): Promise<{ close(): void }> {
  const sub = redis.duplicate();
  sub.on('error', () => undefined);
  try {
    await ensureReady(sub, broker.connectTimeoutMs);
    sub.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => {
      for (const e of decodeEvents(message)) onEvent(e);
    });
    await sub.psubscribe(eventPattern(broker));
  } catch (e) {
    sub.disconnect();
    throw brokerError(e, 'subscribing to Celery events');
  }
  return { close: () => sub.disconnect() };
}
