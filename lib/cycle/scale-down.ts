import type { EcsTask } from '../ecs';
import type { EcsObservation } from '../observation';
import { staleReason } from './check-drain';
import { renewLease } from './lease';
import type { Drain } from './payloads';
import { all, call, type Env, type Step } from './ports';
import { protect, PROTECTION_MINUTES } from './protection';
import { clip, named } from './sizes';

/** How long ReleaseProtection waits for released tasks to stop before clearing protection anyway. */
export const STOP_WAIT_MS = 5 * 60 * 1000;

/**
 * Protection is only needed at the moment a release lowers the desired count (and until ECS has
 * carried it out): a release that finds it expiring within this margin renews it first.
 */
export const RENEW_MARGIN_MS = 2 * 60 * 1000;

/** A service event this much older than the listing still counts as after it (clocks differ). */
export const EVENT_SKEW_MS = 5_000;

export interface ScaleDownReadings {
  ecs: EcsObservation;
  /**
   * The tasks known to this step: the whole service (a listing), or only the drain's emptied and
   * released ones (DescribeTasks on them) when `live` gives the service's live count.
   */
  tasks: EcsTask[];
  /** Live tasks in the service when `tasks` is not all of them. */
  live?: number;
  /** Why the drain should give way to new work (the last look before removing anyone), or null. */
  stale: string | null;
  now: number;
}

export interface ScaleDownPlan {
  output: Drain;
  /** Protect `keep`, unprotect `remove`, then set the desired count: ECS stops exactly `remove`. */
  remove: { keep: string[]; remove: string[]; desired: number; from: number } | null;
}

const isLive = (t: EcsTask): boolean => t.lastStatus !== 'STOPPED' && t.desiredStatus !== 'STOPPED';

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
  const live = r.tasks.filter(isLive);
  const liveCount = r.live ?? live.length;
  const present = live.filter((t) => emptyIds.has(t.taskId)).length;
  const notCarriedOut = Math.max(0, liveCount - r.ecs.desired) - live.filter((t) => releasedIds.has(t.taskId)).length;
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

/** What a release must do about protection before it may lower the desired count. */
export type ProtectionNeed = 'first' | 'renew' | 'newcomers' | 'none';

/**
 * Whether this release can rely on the protection an earlier release of the drain set. It can
 * when that protection lasts past the margin and DescribeServices' running + pending count is
 * what the drain expects: the live tasks it knew of (`protection.live`), less the emptied ones
 * that stopped, plus the released ones still up (a task ECS is stopping may or may not be
 * counted, so either is accepted). More tasks than that, or a desired count above it, means a
 * task appeared that nobody protected (someone's scale-up): `newcomers`. Fewer means one stopped
 * on its own, whose replacement may already be starting: the same. A replacement that already
 * started leaves the count as it was: ECS's "has started" service event, newer than the drain's
 * last listing, tells it (DescribeServices returns the service's recent events).
 */
export function protectionNeed(input: Drain, ecs: EcsObservation, watched: EcsTask[], now: number): ProtectionNeed {
  const p = input.protection;
  if (!p) return 'first';
  if (now + RENEW_MARGIN_MS >= p.until) return 'renew';
  const byId = new Map(watched.map((t) => [t.taskId, t]));
  const up = (id: string) => (byId.get(id)?.lastStatus ?? 'STOPPED') !== 'STOPPED';
  const liveById = (id: string) => { const t = byId.get(id); return t !== undefined && isLive(t); };
  const emptyGone = input.empty.filter((d) => !liveById(d.taskId)).length;
  const emptyStopping = input.empty.filter((d) => !liveById(d.taskId) && up(d.taskId)).length;
  const releasedLive = input.released.filter((d) => liveById(d.taskId)).length;
  const releasedUp = input.released.filter((d) => up(d.taskId)).length;
  const base = p.live - emptyGone;
  const n = ecs.running + ecs.pending;
  if (ecs.lastStartedAt != null && ecs.lastStartedAt >= p.listedAt - EVENT_SKEW_MS) return 'newcomers';
  const agrees = n >= base + releasedLive && n <= base + releasedUp + emptyStopping && ecs.desired <= p.live + releasedUp;
  return agrees ? 'none' : 'newcomers';
}

/**
 * ScaleDown: removes the nodes CheckDrain found empty, as soon as they are, while the others
 * keep draining. Before anyone is removed, one last look at the queues: new work that needs
 * these workers gives them back instead (RestoreConsumers).
 *
 * ECS calls: the drain's first release lists the service (ListTasks only) and protects every
 * other live task, ⌈(N − 1)/10⌉ UpdateTaskProtection; every later one makes a constant number
 * (DescribeServices, one DescribeTasks on the drain's own tasks, one UpdateTaskProtection to
 * unprotect the emptied task, UpdateService), unless the counts say a task appeared (list, and
 * protect only those missing from the record) or the protection nears its expiry (renew it).
 */
export function* scaleDown(env: Env, input: Drain): Step<Drain> {
  const { service, cycle } = input;
  const cfg = env.config.services[service];
  yield* renewLease(env, service, cycle.execution);
  const mine = [...input.empty, ...input.released].map((d) => d.taskId);
  const [depths, wanted, ecs, watched] = yield* all<[Record<string, number>, Awaited<ReturnType<Env['history']['wanted']>>, EcsObservation, EcsTask[]]>([
    env.workers.pending(cfg.queues),
    env.history.wanted(service),
    env.ecs.describe(service),
    mine.length > 0 ? env.ecs.describeTasks(service, mine) : [],
  ]);
  const pending = Object.values(depths).reduce((a, b) => a + b, 0);
  const stale = staleReason(input, cfg, pending, wanted);
  const need = stale ? 'none' : protectionNeed(input, ecs, watched, env.now());
  let tasks = watched;
  let live: number | undefined;
  if (need === 'none' && input.protection) {
    const releasedLive = input.released.filter((d) => watched.some((t) => t.taskId === d.taskId && isLive(t))).length;
    const emptyGone = input.empty.filter((d) => !watched.some((t) => t.taskId === d.taskId && isLive(t))).length;
    live = input.protection.live - emptyGone + releasedLive;
  } else if (!stale) {
    // Every listed task is one ECS wants running; the drain's own carry the status just read.
    const listed = yield* call(env.ecs.taskArns(service));
    const byArn = new Map(watched.map((t) => [t.taskArn, t]));
    const running = (taskArn: string): EcsTask => ({ taskId: taskArn.slice(taskArn.lastIndexOf('/') + 1), taskArn, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', privateIp: null, startedAt: null });
    tasks = [...listed.map((a) => byArn.get(a) ?? running(a)), ...watched.filter((t) => !listed.includes(t.taskArn))];
  }
  const now = env.now();
  const { output, remove } = decide(input, { ecs, tasks, live, stale, now });
  if (output.status === 'abandoned') return output;
  const releasedIds = new Set(output.released.map((d) => d.taskId));
  const liveAfter = live !== undefined
    ? (input.protection?.live ?? 0) - input.empty.length
    : tasks.filter((t) => isLive(t) && !releasedIds.has(t.taskId)).length;
  const listedAt = live !== undefined ? input.protection?.listedAt ?? now : now;
  let protection = input.protection ? { ...input.protection, live: liveAfter, listedAt } : undefined;
  if (remove) {
    if (need === 'first' || need === 'renew') {
      yield* protect(env, service, remove.keep, 'before');
      protection = { until: now + PROTECTION_MINUTES * 60_000, live: liveAfter, listedAt };
    } else if (need === 'newcomers') {
      const recorded = new Set(yield* call(env.history.protectedTasks(service)));
      yield* protect(env, service, remove.keep.filter((a) => !recorded.has(a)), 'after');
    }
    // Unprotected whatever the record says: an earlier release of this drain protected it (it
    // was still draining then), or a cycle whose record a broker restart lost did.
    yield* call(env.ecs.unprotect(service, remove.remove));
    yield* call(env.ecs.setDesired(service, remove.desired));
    yield* call(env.history.recordScale(service, 'down', env.now()));
  }
  return protection ? { ...output, protection } : output;
}
