import { PIDBOX_EXCHANGE, REPLY_EXCHANGE } from './control';

const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The RabbitMQ permissions the autoscaler needs on the Celery app's vhost, and no more, as the
 * three regular expressions `rabbitmqctl set_permissions` takes (configure, write, read; matched
 * against exchange and queue names, https://www.rabbitmq.com/docs/access-control):
 *
 * - configure: its own reply queue `<oid>.reply.celery.pidbox` (declared), and the two pidbox
 *   exchanges (declared as kombu declares them, which needs configure even when they exist);
 * - write: its reply queue (bound to the reply exchange) and `celery.pidbox` (commands published);
 * - read: its reply queue (consumed) and `reply.celery.pidbox` (bound from).
 *
 * The task queues are in none of them: their depth is a passive declare, which needs no
 * permission, so the autoscaler can neither publish a task, nor take one, nor purge a queue.
 * docs/runbook.md prints the command; test/integration/amqp-control.test.ts shows remote control and
 * depth working under them and a publish or purge of a task queue refused.
 */
export function rabbitmqPermissions(): { configure: string; write: string; read: string } {
  // The oid is a UUID: no dot, so one name segment.
  const reply = `[^.]+\\.${re(REPLY_EXCHANGE)}`;
  return {
    configure: `^(${reply}|${re(PIDBOX_EXCHANGE)}|${re(REPLY_EXCHANGE)})$`,
    write: `^(${reply}|${re(PIDBOX_EXCHANGE)})$`,
    read: `^(${reply}|${re(REPLY_EXCHANGE)})$`,
  };
}

/** The `rabbitmqctl` lines that create the user and set exactly these permissions on the vhost. */
export function rabbitmqUserCommands(user: string, vhost = '/'): string[] {
  const p = rabbitmqPermissions();
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  return [
    `rabbitmqctl add_user ${q(user)} "$PASSWORD"`,
    `rabbitmqctl set_permissions -p ${q(vhost)} ${q(user)} ${q(p.configure)} ${q(p.write)} ${q(p.read)}`,
  ];
}
