import { inspectNodes } from './celery/inspect';
import type { BrokerClient } from './broker';
import type { Env, Held, WorkersPort } from './cycle/ports';
import type { Runtime } from './runtime';

const count = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

/**
 * The cycle's WorkersPort over a broker (Redis or RabbitMQ: lib/broker.ts): remote control and
 * queue depths, the same calls on either.
 */
export function workersOf(broker: BrokerClient): WorkersPort {
  const control = broker.control;
  return {
    inspect: (opts) => inspectNodes(control, opts),
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
    pending: async (queues) => (await broker.depths(queues)).pending,
  };
}

/**
 * The cycle's ports over real connections: Celery remote control and the queue depths over the
 * broker (lib/broker.ts), ECS through the AWS SDK, leases and history in the state store. The Lambdas, the
 * `plan` command and the local stack all run the cycle through this.
 */
export function envOf(rt: Runtime): Env {
  const svc = (name: string) => {
    const cfg = rt.config.services[name];
    return rt.ecs(cfg.cluster, cfg.service);
  };
  return {
    config: rt.config,
    now: rt.now,
    workers: workersOf(rt.broker),
    ecs: {
      describe: async (name) => {
        const { desired, running, pending, deploymentInProgress, lastStartedAt } = await svc(name).describe();
        return { desired, running, pending, deploymentInProgress, lastStartedAt };
      },
      tasks: (name) => svc(name).tasks(),
      taskArns: (name) => svc(name).taskArns(),
      describeTasks: (name, arns) => svc(name).describeTasks(arns),
      protect: (name, arns, minutes) => svc(name).protect(arns, minutes),
      unprotect: (name, arns) => svc(name).unprotect(arns),
      setDesired: (name, n) => svc(name).setDesiredCount(n),
      otherAutoscaling: (name) => rt.otherAutoscaling(rt.config.services[name].cluster, rt.config.services[name].service),
    },
    lease: rt.state,
    history: rt.state,
  };
}
