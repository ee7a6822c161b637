import type { Inspection } from '../celery/inspect';
import type { EcsObservation } from '../observation';
import type { EcsTask } from '../ecs';
import { decide, type EcsRead } from './measure-queues';
import { all, call, together, type Env, type Step } from './ports';
import { clearProtection } from './protection';

/** One thing `release` did (or, in a dry run, would do) to a service. */
export interface ReleaseAction {
  service: string;
  /** What it did, for one line of output. */
  did: string;
  /** A worker that did not confirm its queues: the service is not fully released. */
  failed?: boolean;
}

const every = (names: string[]): string => names.join(', ');

/**
 * Leaves services as if the autoscaler had never drained them, to stop using it: every worker of
 * the service gets back the queues it lacks (`add_consumer`) — the nodes its drain record names
 * and any worker whose `active_queues` lacks some of the service's queues (ownership as
 * MeasureQueues decides it: the ECS task a node runs in, else the queues it consumes) — the
 * scale-in protection its scale-down recorded is cleared, and its lease and drain record are
 * removed. No lock is taken: it is meant for a stack whose schedule is off (docs/runbook.md).
 */
export function* releaseServices(env: Env, services: string[], dryRun: boolean): Step<ReleaseAction[]> {
  const names = Object.keys(env.config.services);
  const [inspection, ...reads] = yield* all<[Inspection, ...[EcsObservation, EcsTask[]][]]>([
    env.workers.inspect({ withQueues: true }),
    ...names.map((n) => together<[EcsObservation, EcsTask[]]>([env.ecs.describe(n), env.ecs.tasks(n)])),
  ]);
  const ecs: Record<string, EcsRead> = Object.fromEntries(names.map((n, i) => [n, { ecs: reads[i][0], tasks: reads[i][1] }]));
  const drains = yield* call(env.history.drainRecords(services));
  // No drain counts as live here: every worker lacking a queue gets it back, drained ones included.
  const { missingQueues } = decide(env.config, { inspection, depths: {}, ecs, drains: {} });
  const actions: ReleaseAction[] = [];
  for (const service of services) {
    const drain = drains[service] ?? null;
    const give = new Map<string, string[]>();
    for (const m of missingQueues.filter((x) => x.service === service)) give.set(m.node, m.queues);
    // A drained node that did not answer the inspection, whose ECS task still runs: told all the same.
    const live = ecs[service].tasks.filter((t) => t.desiredStatus !== 'STOPPED' && t.lastStatus !== 'STOPPED');
    const answered = new Set(inspection.nodes.map((n) => n.node));
    for (const n of drain?.nodes ?? []) {
      if (!answered.has(n.node) && live.some((t) => t.taskId === n.taskId)) give.set(n.node, drain?.queues ?? env.config.services[service].queues);
    }
    const groups = new Map<string, string[]>();
    for (const [node, queues] of give) groups.set(queues.join(','), [...(groups.get(queues.join(',')) ?? []), node]);
    for (const [key, nodes] of groups) {
      const queues = key.split(',');
      if (dryRun) {
        actions.push({ service, did: `would give ${every(queues)} back to ${every(nodes)} (add_consumer)` });
        continue;
      }
      const r = yield* call(env.workers.add(queues, nodes));
      if (r.confirmed.length > 0) actions.push({ service, did: `gave ${every(queues)} back to ${every(r.confirmed)} (add_consumer)` });
      if (r.unconfirmed.length > 0) {
        actions.push({ service, did: `no answer from ${every(r.unconfirmed)} to add_consumer ${every(queues)}: give them back by hand (docs/runbook.md)`, failed: true });
      }
    }
    const protectedTasks = yield* call(env.history.protectedTasks(service));
    if (protectedTasks.length > 0) {
      if (dryRun) actions.push({ service, did: `would clear the scale-in protection of ${protectedTasks.length} task(s) it set (UpdateTaskProtection)` });
      else {
        const cleared = yield* clearProtection(env, service);
        actions.push({ service, did: `cleared the scale-in protection of ${cleared} task(s) it set (UpdateTaskProtection)` });
      }
    }
    const holder = yield* call(env.lease.lockHolder(service));
    if (holder !== null) {
      if (!dryRun) yield* call(env.lease.releaseLock(service, holder));
      actions.push({ service, did: `${dryRun ? 'would remove' : 'removed'} the lease held by ${holder}` });
    }
    if (drain) {
      if (!dryRun) yield* call(env.history.clearDrain(service));
      actions.push({ service, did: `${dryRun ? 'would remove' : 'removed'} the drain record of cycle ${drain.execution} (${every(drain.nodes.map((n) => n.node))})` });
    }
    if (!actions.some((a) => a.service === service)) actions.push({ service, did: 'nothing to release: no worker lacks a queue, no protection, lease or drain record' });
  }
  return actions;
}
