import { brokerForUrl } from '../broker-url';
import type { AutoscalerConfig } from '../config';
import { statePrefix } from '../state/store';
import { bindingSet, pidboxChannel, prefixed, queueLists, REPLY_EXCHANGE, replyQueue, UNACKED } from './keys';

/** ACL patterns are globs: a key prefix or queue name with `*?[]\` must match only itself. */
const glob = (s: string): string => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/** A priority sub-list's separator is two control bytes: `?` stands for each, so the line stays printable. */
const listPattern = (list: string): string => glob(list).replace(/\x06\x16/g, '??');

/**
 * The least Redis access the autoscaler needs (Redis ≥ 7 selectors), one selector per use, so
 * a command is allowed only on the keys it is used on:
 * - queue depths: LLEN on the queue lists (every priority step) and HLEN on kombu's `unacked`;
 *   nothing that reads a task's body or takes one off a queue;
 * - remote control: PUBLISH on the pidbox channel only; SADD/SREM of the reply binding; BRPOP,
 *   RPOP, DEL of its own reply queue (`<oid>.reply.celery.pidbox`, every priority step);
 * - its own state under `celery-autoscaler:<stage>:` (lock by SET NX PX and Lua compare-and-delete).
 * Keyless: INFO (ioredis's ready check), SELECT (a broker `db` other than 0), MULTI/EXEC.
 * Every command listed here is one the product issues (lib/celery, lib/state/store.ts).
 */
export function autoscalerAclRules(config: Pick<AutoscalerConfig, 'broker' | 'services'>, stage: string): string[] {
  // The URL's /N decides the db, so the pidbox channel, as the runtime publishes on it (brokerForUrl);
  // without a URL (an SSM parameter) the config's db.
  const broker = config.broker.url ? brokerForUrl(config.broker, config.broker.url) : config.broker;
  const queues = [...new Set(Object.values(config.services).flatMap((s) => s.queues))].sort();
  const queueKeys = queues.flatMap((q) => queueLists(q, broker.prioritySteps)).map((l) => `~${listPattern(prefixed(broker, l))}`);
  // The oid is a random UUID per client: any reply queue and its priority sub-lists, not the binding set.
  const replyKeys = `~${glob(broker.globalKeyprefix)}[0-9a-f]*-*${glob(replyQueue(''))}*`;
  return [
    'resetkeys', 'resetchannels', '-@all', '+info', '+select', '+multi', '+exec',
    `(${[...queueKeys, `~${glob(prefixed(broker, UNACKED))}`, '+llen', '+hlen'].join(' ')})`,
    `(~${glob(prefixed(broker, bindingSet(REPLY_EXCHANGE)))} +sadd +srem)`,
    `(${replyKeys} +brpop +rpop +del)`,
    `(&${glob(pidboxChannel(broker))} +publish)`,
    `(~${glob(statePrefix(stage))}* +get +mget +set +del +pexpire +eval +hgetall +hset +sadd +smembers +scard)`,
  ];
}

/** Single-quoted for a shell: `>`, `~`, `&`, `*` and the selectors' spaces pass to redis-cli as they are. */
const shellWord = (s: string): string => (/^[\w+\-:@.=/]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The `ACL SETUSER` arguments for redis-cli, as the runbook prints them: the user, its password, the rules above. */
export function aclSetuserCommand(config: Pick<AutoscalerConfig, 'broker' | 'services'>, stage: string, user = 'autoscaler', password = 'PASSWORD'): string {
  return ['ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, ...autoscalerAclRules(config, stage)].map(shellWord).join(' ');
}
