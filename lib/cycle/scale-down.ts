import type { EcsTask } from '../ecs';
import type { EcsObservation } from '../observation';
import { staleReason } from './check-drain';
import { renewLease } from './lease';
import type { Drain } from './payloads';
import { all, call, type Env, type Step } from './ports';
import { protectAllBut } from './protection';
import { clip, named } from './sizes';

/** How long ReleaseProtection waits for released tasks to stop before clearing protection anyway. */
export const STOP_WAIT_MS = 5 * 60 * 1000;

export interface ScaleDownReadings {
  ecs: EcsObservation;
  tasks: EcsTask[];
  /** Why the drain should give way to new work (the last look before removing anyone), or null. */
  stale: string | null;
  now: number;
}

export interface ScaleDownPlan {
  output: Drain;
  /** Protect `keep`, unprotect `remove`, then set the desired count: ECS stops exactly `remove`. */
  remove: { keep: string[]; remove: string[]; desired: number; from: number } | null;
}

/**
 * The arithmetic of removing the emptied nodes: desired − those of them still running, with
 * every other live task (still-draining ones included, released ones not) protected from
 * scale-in. A node whose task already stopped is not counted again (ECS may have replaced it;
 * the next cycle plans). Live tasks above the desired count are a scale-in ECS has not carried
 * out yet: beyond this drain's earlier releases, it is this step's own (a retry after setDesired),
 * so it is not asked for twice, which would stop a busy worker once protection is cleared.
 */
export function decide(input: Drain, r: ScaleDownReadings): ScaleDownPlan {
  if (r.stale) return { output: { ...input, status: 'abandoned', result: clip(`scale-down abandoned: ${r.stale}`) }, remove: null };
  const emptyIds = new Set(input.empty.map((d) => d.taskId));
  const releasedIds = new Set(input.released.map((d) => d.taskId));
  const live = r.tasks.filter((t) => t.lastStatus !== 'STOPPED' && t.desiredStatus !== 'STOPPED');
  const present = live.filter((t) => emptyIds.has(t.taskId)).length;
  const notCarriedOut = Math.max(0, live.length - r.ecs.desired) - live.filter((t) => releasedIds.has(t.taskId)).length;
  const count = Math.max(0, present - Math.max(0, notCarriedOut));
  const desired = Math.max(0, r.ecs.desired - count);
  const released = [...input.released, ...input.empty];
  const names = named(input.empty.map((d) => d.node));
  const removed = named(released.map((d) => d.node));
  const next = {
    ...input,
    empty: [],
    released,
    status: input.draining.length > 0 ? 'draining' as const : 'stopping' as const,
    stopDeadline: r.now + STOP_WAIT_MS,
  };
  if (count === 0) return { output: { ...next, result: clip(`${names} already stopped or stopping; nothing to remove`) }, remove: null };
  const keep = live.filter((t) => !emptyIds.has(t.taskId) && !releasedIds.has(t.taskId)).map((t) => t.taskArn);
  const remove = live.filter((t) => emptyIds.has(t.taskId)).map((t) => t.taskArn);
  const rest = input.draining.length > 0 ? `; still draining ${named(input.draining.map((d) => d.node))}` : '';
  return {
    output: { ...next, result: clip(`scaled down ${Math.max(input.from, r.ecs.desired)} → ${desired}: removed ${removed} (${input.reason})${rest}`) },
    remove: { keep, remove, desired, from: r.ecs.desired },
  };
}

/**
 * ScaleDown: removes the nodes CheckDrain found empty, as soon as they are, while the others
 * keep draining. Before anyone is removed, one last look at the queues: new work that needs
 * these workers gives them back instead (RestoreConsumers).
 */
export function* scaleDown(env: Env, input: Drain): Step<Drain> {
  const { service, cycle } = input;
  const cfg = env.config.services[service];
  yield* renewLease(env, service, cycle.execution);
  const [depths, wanted, ecs, tasks] = yield* all<[Record<string, number>, Awaited<ReturnType<Env['history']['wanted']>>, EcsObservation, EcsTask[]]>([
    env.workers.pending(cfg.queues),
    env.history.wanted(service),
    env.ecs.describe(service),
    env.ecs.tasks(service),
  ]);
  const pending = Object.values(depths).reduce((a, b) => a + b, 0);
  const { output, remove } = decide(input, { ecs, tasks, stale: staleReason(input, cfg, pending, wanted), now: env.now() });
  if (remove) {
    yield* protectAllBut(env, service, remove.keep, remove.remove);
    yield* call(env.ecs.setDesired(service, remove.desired));
    yield* call(env.history.recordScale(service, 'down', env.now()));
  }
  return output;
}
