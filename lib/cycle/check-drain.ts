import type { ServiceConfig } from '../config';
import type { EcsTask } from '../ecs';
import type { Wanted } from '../state/store';
import { staleDrainNeed } from '../planner';
import { renewLease } from './lease';
import { clip, named, NAMES_SHOWN } from './sizes';
import type { Drain, DrainNode } from './payloads';
import { all, call, type Env, type Held, type Step } from './ports';

export interface CheckDrainReadings {
  /** What each draining node holds; null: it did not answer. */
  held: Record<string, Held | null>;
  /**
   * The draining nodes' tasks as ECS describes them (a task it no longer knows is absent); null
   * when ECS was not asked (every node answered) or could not be read this time.
   */
  tasks: EcsTask[] | null;
  /** Pending messages over the service's queues. */
  pending: number;
  /** A scale-up that found the service held by a drain (this one if it asked after the drain began). */
  wanted: Wanted | null;
  now: number;
}

/**
 * Why a drain should stop and give every worker back, or null: the plan behind it went stale
 * while it waited (its queues now hold more than the planned count finishes within the target),
 * or a newer cycle wants more workers than the drain leaves.
 */
export function staleReason(d: Pick<Drain, 'to' | 'perWorkerPerMinute' | 'startedAt'>, cfg: ServiceConfig, pending: number, wanted: Wanted | null): string | null {
  const needed = staleDrainNeed(pending, d.perWorkerPerMinute ?? cfg.tasksPerWorkerPerMinute, cfg.targetMinutes, d.to);
  if (needed !== null) return `${pending} pending need ${needed} workers, more than the ${d.to} planned`;
  if (wanted !== null && wanted.at >= d.startedAt && wanted.to > d.to) return `a newer cycle wants ${wanted.to} workers`;
  return null;
}

/**
 * How long after a node first answered that it consumes none of the drained queues its tasks are
 * trusted to be all it took. kombu's Redis transport blocks in BRPOP on every consumed queue with
 * a 1 s timeout (kombu/transport/redis.py `_brpop_start(timeout=1)`); a BRPOP sent before the cancel
 * took effect can still pop a message of a drained queue for up to 1 s, and a worker stopped
 * before it reads the reply loses that message (its channel closes without reading). 1 s for the
 * BRPOP, 1 s for a loaded worker to read it: a node answering after that has handled it (the
 * message goes back to its queue: "Requeuing undeliverable message ... No consumers").
 */
export const CANCEL_SETTLE_MS = 2_000;

/**
 * CheckDrain: a node is empty when it answers that it no longer consumes the service's queues,
 * has answered so for CANCEL_SETTLE_MS, and holds no active, reserved or scheduled task; or when
 * its ECS task has stopped. No answer is not empty (a busy solo worker cannot answer), nor is a
 * node whose cancel has not yet taken effect. A host that does not report queues (`consuming`
 * absent: the simulator, whose cancel is instant) is judged by its tasks alone.
 * Every node that emptied goes to ScaleDown at once (`release`), the others keep draining: one
 * slow task holds only its own worker.
 */
export function decide(input: Drain, cfg: ServiceConfig, r: CheckDrainReadings): Drain {
  const stale = staleReason(input, cfg, r.pending, r.wanted);
  if (stale) return { ...input, status: 'abandoned', busy: undefined, result: `drain abandoned: ${stale}` };
  const emptied: DrainNode[] = [];
  const still: DrainNode[] = [];
  const busy: NonNullable<Drain['busy']> = [];
  for (const node of input.draining) {
    const task = r.tasks?.find((t) => t.taskId === node.taskId);
    const gone = r.tasks !== null && (task === undefined || task.lastStatus === 'STOPPED');
    const held = r.held[node.node];
    const off = held?.consuming !== undefined && held.consuming.length === 0;
    // The first answer without the queues starts the clock; one with them again (given back by
    // hand, say) stops it.
    const d = off ? { ...node, offAt: node.offAt ?? r.now } : held?.consuming?.length ? { node: node.node, taskId: node.taskId } : node;
    const settled = held?.consuming === undefined || (off && d.offAt !== undefined && r.now - d.offAt >= CANCEL_SETTLE_MS);
    if (gone || (held && held.active + held.reserved + held.scheduled === 0 && settled)) {
      emptied.push(d);
      continue;
    }
    still.push(d);
    busy.push(held ? { node: d.node, ...held } : { node: d.node, noReply: true });
  }
  const out = { ...input, draining: still, empty: [...input.empty, ...emptied], busy: busy.slice(0, NAMES_SHOWN) };
  const left = Math.max(0, Math.round((input.deadline - r.now) / 1000));
  const progress = `${out.empty.length + out.released.length}/${out.empty.length + out.released.length + still.length} drained${busy.length ? `; busy: ${named(busy.map(describeBusy))}` : ''}`;
  if (out.empty.length > 0) return { ...out, status: 'release', result: clip(`${progress}; removing ${named(out.empty.map((d) => d.node))}`) };
  if (r.now >= input.deadline) return { ...out, status: 'timedOut', result: clip(`drain timed out: ${progress}`) };
  return { ...out, status: 'waiting', result: clip(`${progress}; ${left} s left`) };
}

const describeBusy = (b: NonNullable<Drain['busy']>[number]): string =>
  'noReply' in b ? `${b.node} (no reply)` : `${b.node} (${b.active} active, ${b.reserved} reserved, ${b.scheduled} scheduled${b.consuming?.length ? `, still consuming ${b.consuming.join(', ')}` : ''})`;

/**
 * CheckDrain's ECS reading: none when every draining node answered (its answer decides), else
 * DescribeTasks on the draining nodes' own tasks (one call for up to 100), never a listing of
 * the service: a poll costs the same whatever the fleet's size.
 */
export function* checkDrain(env: Env, input: Drain): Step<Drain> {
  const cfg = env.config.services[input.service];
  // A drain may outlast the lease many times over: each poll holds the service a lease longer.
  yield* renewLease(env, input.service, input.cycle.execution);
  const [held, depths, wanted] = yield* all<[Record<string, Held | null>, Record<string, number>, Wanted | null]>([
    env.workers.held(input.draining.map((d) => d.node), cfg.queues),
    env.workers.pending(cfg.queues),
    env.history.wanted(input.service),
  ]);
  const tasks = function* (): Step<EcsTask[] | null> {
    if (input.draining.every((d) => held[d.node])) return null; // every node answered: no need to ask ECS
    try {
      return yield* call(env.ecs.describeTasks(input.service, input.draining.map((d) => d.taskId)));
    } catch {
      return null; // unknown is not stopped: those nodes are judged by their answers alone
    }
  };
  const pending = Object.values(depths).reduce((a, b) => a + b, 0);
  return decide(input, cfg, { held, tasks: yield* tasks(), pending, wanted, now: env.now() });
}
