import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { BrokerConfig } from '../config';
import { prefixed, queueLists } from './keys';

export interface TaskMessage {
  task: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  id?: string;
  /** 0–9 (Celery's Redis priorities); mapped onto the priority steps like kombu does. */
  priority?: number;
}

/** transport/redis.py Channel.priority: bisect the steps, take the step at or below. */
function stepFor(priority: number, steps: number[]): number {
  const sorted = [...new Set(steps)].sort((a, b) => a - b);
  let step = sorted[0];
  for (const s of sorted) if (s <= priority) step = s;
  return step;
}

/**
 * A task message as Celery's `apply_async` writes it (task protocol 2, JSON, base64 body):
 * celery/app/amqp.py as_task_v2 + kombu's virtual transport envelope. For load generators and
 * tests that must send thousands of tasks without Python.
 */
export function taskEnvelope(queue: string, m: TaskMessage): { list: string; payload: string; id: string } & { priority: number } {
  const id = m.id ?? randomUUID();
  const args = m.args ?? [];
  const kwargs = m.kwargs ?? {};
  const body = [args, kwargs, { callbacks: null, errbacks: null, chain: null, chord: null }];
  const payload = {
    body: Buffer.from(JSON.stringify(body)).toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: {
      lang: 'py', task: m.task, id, shadow: null, eta: null, expires: null, group: null, group_index: null,
      retries: 0, timelimit: [null, null], root_id: id, parent_id: null,
      argsrepr: JSON.stringify(args), kwargsrepr: JSON.stringify(kwargs), origin: 'celery-autoscaler', ignore_result: false,
    },
    properties: {
      correlation_id: id, reply_to: randomUUID(), delivery_mode: 2,
      delivery_info: { exchange: '', routing_key: queue }, priority: m.priority ?? 0,
      body_encoding: 'base64', delivery_tag: randomUUID(),
    },
  };
  return { list: queue, payload: JSON.stringify(payload), id, priority: m.priority ?? 0 };
}

/** LPUSHes tasks onto their queue's priority lists in one pipeline; returns their ids. */
export async function publishTasks(redis: Redis, broker: Pick<BrokerConfig, 'globalKeyprefix' | 'prioritySteps'>, queue: string, tasks: TaskMessage[]): Promise<string[]> {
  const pipe = redis.pipeline();
  const ids: string[] = [];
  const lists = queueLists(queue, broker.prioritySteps);
  const steps = [...new Set(broker.prioritySteps)];
  for (const t of tasks) {
    const e = taskEnvelope(queue, t);
    const step = stepFor(e.priority, steps);
    pipe.lpush(prefixed(broker, lists[steps.indexOf(step)]), e.payload);
    ids.push(e.id);
  }
  const res = await pipe.exec();
  const failed = res?.find(([err]) => err);
  if (failed) throw failed[0];
  return ids;
}
