import type { BrokerConfig } from '../config';

/**
 * Every Redis-transport wire fact in one place, with where it comes from in kombu 5.2
 * (/usr/lib/python3/dist-packages/kombu). Re-check when the kombu version changes.
 */

/** transport/redis.py Channel.sep: separates a queue's name from its priority step, and binding fields. */
export const SEP = '\x06\x16';

/**
 * transport/redis.py Channel._q_for_pri: priority step 0 is the bare queue name, every other
 * step is `queue + sep + step`.
 */
export function queueLists(queue: string, prioritySteps: number[]): string[] {
  return [...new Set(prioritySteps)].map((p) => (p ? `${queue}${SEP}${p}` : queue));
}

/**
 * transport/redis.py GlobalKeyPrefixMixin: `global_keyprefix` is prepended to the keys of
 * LLEN, LPUSH, SADD, SREM, DEL, BRPOP, HSET… and to the PUBLISH channel (PrefixedRedisPubSub
 * prefixes PSUBSCRIBE too).
 */
export const prefixed = (broker: Pick<BrokerConfig, 'globalKeyprefix'>, key: string): string => `${broker.globalKeyprefix}${key}`;

/** transport/redis.py Channel.unacked_key: delivery tag → message a worker took but has not acked. */
export const UNACKED = 'unacked';

/** transport/redis.py Channel.keyprefix_queue: the set of bindings of an exchange. */
export const bindingSet = (exchange: string): string => `_kombu.binding.${exchange}`;

/** transport/redis.py Channel._queue_bind: a binding member is `routing_key sep pattern sep queue`. */
export const bindingMember = (routingKey: string, pattern: string, queue: string): string => [routingKey, pattern, queue].join(SEP);

/** pidbox.py Mailbox: celery's mailbox is `celery`, so its exchanges are these. */
export const PIDBOX_EXCHANGE = 'celery.pidbox';
export const REPLY_EXCHANGE = 'reply.celery.pidbox';

/**
 * transport/redis.py Channel.keyprefix_fanout `/{db}.` + _get_publish_topic: the fanout
 * exchange's pub/sub channel (fanout_prefix is on by default; routing key empty).
 */
export const pidboxChannel = (broker: Pick<BrokerConfig, 'db' | 'globalKeyprefix'>): string => prefixed(broker, `/${broker.db ?? 0}.${PIDBOX_EXCHANGE}`);

/** pidbox.py Mailbox.reply_queue: the reply queue of client `oid` is `<oid>.reply.celery.pidbox`. */
export const replyQueue = (oid: string): string => `${oid}.${REPLY_EXCHANGE}`;
