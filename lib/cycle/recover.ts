import { lockLeaseMs } from './lease';
import { call, type Env, type Step } from './ports';
import { clearProtection } from './protection';
import { clip, named } from './sizes';

/**
 * The repair is done within this one step, so its lock lasts one Lambda attempt (the functions'
 * 30 s timeout; a retry takes it again under the same execution name), not a cycle's lease: a
 * repair that dies holding it leaves the drained workers without their queues one cycle more,
 * not three.
 */
export const REPAIR_LEASE_MS = 30_000;

/**
 * Undoes what a cycle that died part-way left on a service that no cycle holds any more:
 * drained workers whose ECS task still runs get their queues back (`add_consumer`), and the
 * scale-in protection it set is cleared. Runs at the start of MeasureQueues, so the cycle then
 * measures the repaired fleet; a dry run only says what it would do. The repair holds the
 * service's lock, so overlapping cycles repair once and no drain starts halfway through it.
 * One line per service.
 */
export function* recoverLeftovers(env: Env, dryRun: boolean, execution: string): Step<string[]> {
  const leftovers = yield* call(env.history.leftovers(Object.keys(env.config.services)));
  const notes: string[] = [];
  for (const { service, drain, protectedTasks } of leftovers) {
    const did: string[] = [];
    if (!dryRun && !(yield* call(env.lease.acquireLock(service, execution, Math.min(lockLeaseMs(), REPAIR_LEASE_MS)))).acquired) continue;
    try {
      let unconfirmed: NonNullable<typeof drain>['nodes'] = [];
      if (drain && drain.nodes.length > 0) {
        // The drained nodes' own tasks (DescribeTasks takes task ids), not a listing of the service.
        const tasks = yield* call(env.ecs.describeTasks(service, drain.nodes.map((n) => n.taskId)));
        const live = drain.nodes.filter((n) => tasks.some((t) => t.taskId === n.taskId && t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED'));
        const nodes = live.map((n) => n.node);
        if (nodes.length > 0 && dryRun) did.push(`would give ${drain.queues.join(', ')} back to ${named(nodes)}`);
        if (nodes.length > 0 && !dryRun) {
          const given = yield* call(env.workers.add(drain.queues, nodes));
          // A worker that has not re-subscribed since a broker restart misses the command: retry it next cycle.
          unconfirmed = live.filter((n) => given.unconfirmed.includes(n.node));
          if (given.confirmed.length > 0) did.push(`gave ${drain.queues.join(', ')} back to ${named(given.confirmed)}`);
          if (given.unconfirmed.length > 0) did.push(`no answer yet from ${named(given.unconfirmed)}; will retry next cycle`);
        }
      }
      if (protectedTasks > 0) {
        if (!dryRun) yield* clearProtection(env, service);
        did.push(`${dryRun ? 'would clear' : 'cleared'} scale-in protection of ${protectedTasks} task(s)`);
      }
      if (!dryRun && drain && unconfirmed.length > 0) yield* call(env.history.saveDrain(service, { ...drain, nodes: unconfirmed }));
      else if (!dryRun) yield* call(env.history.clearDrain(service));
    } catch (e) {
      did.push(`could not finish (${(e as Error).name}: ${(e as Error).message}); will retry next cycle`);
    } finally {
      if (!dryRun) {
        try {
          yield* call(env.lease.releaseLock(service, execution));
        } catch {
          /* the lease runs out on its own */
        }
      }
    }
    const who = drain ? `cycle ${drain.execution}` : 'a cycle';
    notes.push(clip(`${service}: ${who} ended without cleaning up: ${did.join('; ') || 'nothing left to undo'}`));
  }
  return notes;
}
