import type { CeleryControl } from '../celery/control';
import { inspectNodes } from '../celery/inspect';
import type { Held, WorkersPort } from '../cycle/ports';
import type { AmqpControl } from './control';

const count = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/**
 * The cycle's WorkersPort over RabbitMQ: remote control through AmqpControl, depth through a
 * reader such as `(queues) => readAmqpQueueDepths(connection, queues).then((d) => d.pending)`.
 * `held` is lib/runtime-env.ts's, line for line: active_queues first, then the tasks.
 */
export function amqpWorkers(control: AmqpControl, pending: (queues: string[]) => Promise<Record<string, number>>): WorkersPort {
  return {
    // inspectNodes asks only the public methods AmqpControl shares with CeleryControl (ControlMethods).
    inspect: (opts) => inspectNodes(control as unknown as CeleryControl, opts),
    async held(nodes, queues) {
      if (nodes.length === 0) return {};
      const call = { destination: nodes };
      // active_queues before the tasks, not beside them: a worker handles its pidbox commands one
      // after another, so once it says it no longer consumes a queue, the counts asked next
      // include every message it took from that queue.
      const consumed = queues ? (await control.activeQueues(call)).replies : null;
      const [a, r, s] = await Promise.all([control.active(call), control.reserved(call), control.scheduled(call)]);
      const out: Record<string, Held | null> = {};
      for (const n of nodes) {
        const answered = n in a.replies && n in r.replies && n in s.replies && (consumed === null || n in consumed);
        const consuming = consumed && queues ? { consuming: (consumed[n] ?? []).map((q) => q.name).filter((q) => queues.includes(q)) } : {};
        out[n] = answered ? { active: count(a.replies[n]), reserved: count(r.replies[n]), scheduled: count(s.replies[n]), ...consuming } : null;
      }
      return out;
    },
    cancel: (queues, nodes) => control.cancelConsumers(queues, nodes),
    add: (queues, nodes) => control.addConsumers(queues, nodes),
    pending,
  };
}
