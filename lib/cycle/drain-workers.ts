import type { ServiceConfig } from '../config';
import type { Inspection } from '../celery/inspect';
import { taskForNode, type EcsTask } from '../ecs';
import type { EcsObservation } from '../observation';
import { chooseDrainNodes } from './choose';
import { clip, DRAIN_NODES_BUDGET_BYTES, fitting, named } from './sizes';
import { renewLease } from './lease';
import { STOP_WAIT_MS } from './scale-down';
import type { CooldownOutput, Drain, DrainNode, Nothing } from './payloads';
import { all, call, type Confirmations, type Env, type Step } from './ports';

/** How often CheckDrain looks at the draining workers, at the most. */
export const POLL_SECONDS = 5;

/**
 * Step Functions keeps at most 25,000 events in a Standard execution's history and fails the
 * execution past it ("Quotas related to state machine executions", AWS Step Functions Developer
 * Guide); an inline Map's branches all write into it. The drains of one cycle may spend this
 * much of it; the rest is for MeasureQueues, ComputePlan, the Map and each branch's first states.
 */
export const DRAIN_HISTORY_EVENTS = 20_000;
/**
 * The events of one poll, at most: WaitForDrain (entered, exited), CheckDrain (entered, Lambda
 * scheduled, started, succeeded, exited), Drained? (entered, exited), and a release after it:
 * ScaleDown (5) and Released? (2). WaitForTasksToStop's loop costs no more per poll.
 */
export const EVENTS_PER_POLL = 16;

/**
 * The poll interval that keeps `branches` drains of this length (the drain timeout, then the wait
 * for removed tasks to stop) within the history: 5 s for a few drains, about 36 s when 50
 * services drain for 10 minutes at once.
 */
export function pollSecondsFor(drainTimeoutSeconds: number, branches: number): number {
  const polls = Math.floor(DRAIN_HISTORY_EVENTS / (EVENTS_PER_POLL * Math.max(1, branches)));
  return Math.max(POLL_SECONDS, Math.ceil((drainTimeoutSeconds + STOP_WAIT_MS / 1000) / polls));
}

export interface DrainReadings {
  ecs: EcsObservation;
  tasks: EcsTask[];
  inspection: Inspection;
}

/**
 * Which nodes to drain, or why none: k = desired − target, the quickest to empty first, as many
 * as fit the drain's payload (a few hundred nodes); the next cycle drains the rest.
 */
export function decide(input: CooldownOutput, cfg: ServiceConfig, r: DrainReadings): { chosen: DrainNode[] } | { nothing: string } {
  if (r.ecs.deploymentInProgress) return { nothing: 'an ECS deployment is in progress' };
  const k = r.ecs.desired - input.to;
  if (k <= 0) return { nothing: `desired is already ${r.ecs.desired} (target ${input.to})` };
  const candidates = r.inspection.nodes.map((n) => ({ ...n, taskId: taskForNode(n.node, r.tasks)?.taskId ?? null }));
  const chosen = chooseDrainNodes(candidates, r.tasks, k, input.perWorkerPerMinute ?? cfg.tasksPerWorkerPerMinute);
  if (chosen.length === 0) return { nothing: 'no worker maps to a running ECS task of this service' };
  // Sized as the nodes will be at their largest: CheckDrain stamps each with its settle clock (offAt).
  const sized = fitting(chosen.map((c) => ({ node: c.node, taskId: c.task.taskId, offAt: Number.MAX_SAFE_INTEGER })), DRAIN_NODES_BUDGET_BYTES);
  return { chosen: sized.map(({ node, taskId }) => ({ node, taskId })) };
}

/** After cancel_consumer: the nodes that confirmed drain; a node that did not gets its queues back. */
export function settle(input: CooldownOutput, cfg: ServiceConfig, chosen: DrainNode[], sent: Confirmations, now: number): Drain | Nothing {
  const draining = chosen.filter((c) => sent.confirmed.includes(c.node));
  const silent = sent.unconfirmed.length > 0 ? ` (no confirmation from ${named(sent.unconfirmed)})` : '';
  if (draining.length === 0) return { service: input.service, status: 'nothing', result: clip(`no scale-down: no chosen worker confirmed cancel_consumer${silent}`) };
  return {
    cycle: input.cycle,
    service: input.service,
    from: input.from,
    to: input.to,
    reason: input.reason,
    ...(input.perWorkerPerMinute ? { perWorkerPerMinute: input.perWorkerPerMinute } : {}),
    status: 'draining',
    draining,
    empty: [],
    released: [],
    restored: [],
    startedAt: now,
    deadline: now + cfg.drainTimeoutSeconds * 1000,
    pollSeconds: pollSecondsFor(cfg.drainTimeoutSeconds, input.branches),
    result: clip(`draining ${named(draining.map((d) => d.node))}${silent}`),
  };
}

/**
 * DrainWorkers: choose the nodes to remove and send them `cancel_consumer` for every queue of
 * the service. The drain is recorded first: if this cycle dies from there on, the next one gives
 * these nodes their queues back.
 */
export function* drainWorkers(env: Env, input: CooldownOutput): Step<Drain | Nothing> {
  const { service, cycle } = input;
  const cfg = env.config.services[service];
  yield* renewLease(env, service, cycle.execution);
  const [ecs, tasks, inspection] = yield* all<[EcsObservation, EcsTask[], Inspection]>([env.ecs.describe(service), env.ecs.tasks(service), env.workers.inspect({ withQueues: false })]);
  const choice = decide(input, cfg, { ecs, tasks, inspection });
  const nothing = function* (result: string): Step<Nothing> {
    yield* call(env.history.clearDrain(service));
    yield* call(env.lease.releaseLock(service, cycle.execution));
    return { service, status: 'nothing', result };
  };
  if ('nothing' in choice) return yield* nothing(`no scale-down: ${choice.nothing}`);
  const nodes = choice.chosen.map((c) => c.node);
  yield* call(env.history.saveDrain(service, { execution: cycle.execution, nodes: choice.chosen.map(({ node, taskId }) => ({ node, taskId })), queues: cfg.queues, at: env.now() }));
  const sent = yield* call(env.workers.cancel(cfg.queues, nodes));
  // A cancel may have landed without its reply arriving: hand the queues back to be sure.
  if (sent.unconfirmed.length > 0) yield* call(env.workers.add(cfg.queues, sent.unconfirmed));
  const out = settle(input, cfg, choice.chosen, sent, env.now());
  return out.status === 'nothing' ? yield* nothing(out.result) : out;
}
