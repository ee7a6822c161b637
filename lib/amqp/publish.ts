import { randomUUID } from 'node:crypto';
import type { TaskMessage } from '../celery/publish';
import { amqpError, type AmqpConnection } from './connection';
import { amqpTable } from './table';

/**
 * Tasks as Celery's `apply_async` sends them over AMQP (task protocol 2, JSON): celery/app/amqp.py
 * as_task_v2, the headers as message headers and the body as the content (no base64 envelope as on
 * Redis). Sent through the default exchange with the queue's name as routing key, which RabbitMQ
 * routes to that queue whatever exchange Celery bound it to; the queue must exist (a message to a
 * missing queue is dropped). Confirmed by the broker before this resolves. Returns the task ids.
 */
export async function publishAmqpTasks(connection: AmqpConnection, queue: string, tasks: TaskMessage[]): Promise<string[]> {
  const ids: string[] = [];
  // Why the broker closed the channel (403 ACCESS_REFUSED, 404 NOT_FOUND): said instead of amqplib's "channel closed".
  let closedBy: Error | null = null;
  try {
    const ch = await (await connection.get()).createConfirmChannel();
    ch.on('error', (e: Error) => { closedBy = e; });
    try {
      for (const m of tasks) {
        const id = m.id ?? randomUUID();
        const args = m.args ?? [];
        const kwargs = m.kwargs ?? {};
        const body = [args, kwargs, { callbacks: null, errbacks: null, chain: null, chord: null }];
        ch.publish('', queue, Buffer.from(JSON.stringify(body)), {
          contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2, correlationId: id, replyTo: randomUUID(),
          priority: m.priority ?? 0,
          headers: amqpTable({
            lang: 'py', task: m.task, id, shadow: null, eta: null, expires: null, group: null, group_index: null,
            retries: 0, timelimit: [null, null], root_id: id, parent_id: null,
            argsrepr: JSON.stringify(args), kwargsrepr: JSON.stringify(kwargs), origin: 'celery-autoscaler', ignore_result: false,
          }) as Record<string, unknown>,
        });
        ids.push(id);
      }
      await ch.waitForConfirms();
    } finally {
      await ch.close().catch(() => undefined);
    }
  } catch (e) {
    throw amqpError(closedBy ?? e, `publishing to ${queue}`);
  }
  return ids;
}
