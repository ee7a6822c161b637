import { inspectNodes } from '../celery/inspect';
import { readQueueDepths } from '../celery/probe';
import { staleDrainNeed } from '../planner';
import { taskForNode } from '../ecs';
import type { Runtime } from '../runtime';
import { chooseDrainNodes } from './choose';
import { renewLock } from './lock';
import type { DrainNode, ServiceWork } from './payloads';

const POLL_SECONDS = 5;

/**
 * DrainWorkers: choose the k = desired − to nodes to remove and send them `cancel_consumer` for
 * every queue of the service. A node that does not confirm every cancel gets its queues back
 * and is not drained (it may be busy on the solo pool, or gone).
 */
export async function drainWorkers(rt: Runtime, w: ServiceWork): Promise<ServiceWork> {
  const cfg = rt.config.services[w.service];
  const svc = rt.ecs(cfg.cluster, cfg.service);
  await renewLock(rt, w);
  const [desc, tasks] = await Promise.all([svc.describe(), svc.tasks()]);
  const nothing = async (why: string): Promise<ServiceWork> => {
    // Cancels that went unconfirmed were followed by add_consumer, which the worker applies after them.
    await rt.state.clearDrain(w.service);
    await rt.state.releaseLock(w.service, w.cycle.execution);
    return { ...w, status: 'nothing', drain: [], result: `no scale-down: ${why}` };
  };
  if (desc.deploymentInProgress) return nothing('an ECS deployment is in progress');
  const k = desc.desired - w.to;
  if (k <= 0) return nothing(`desired is already ${desc.desired} (target ${w.to})`);
  const inspected = await inspectNodes(rt.control);
  const candidates = inspected.nodes.map((n) => ({ ...n, taskId: taskForNode(n.node, tasks)?.taskId ?? null }));
  const chosen = chooseDrainNodes(candidates, tasks, k, w.perWorkerPerMinute ?? cfg.tasksPerWorkerPerMinute);
  if (chosen.length === 0) return nothing('no worker maps to a running ECS task of this service');
  const destination = chosen.map((c) => c.node);
  // Recorded first: if this cycle dies from here on, the next one gives these nodes their queues back.
  await rt.state.saveDrain(w.service, { execution: w.cycle.execution, nodes: chosen.map((c) => ({ node: c.node, taskId: c.task.taskId })), queues: cfg.queues, at: rt.now() });
  const { confirmed, unconfirmed } = await rt.control.cancelConsumers(cfg.queues, destination);
  // A cancel may have landed without its reply arriving: hand the queues back to be sure.
  await rt.control.addConsumers(cfg.queues, unconfirmed);
  if (confirmed.length === 0) return nothing(`no chosen worker confirmed cancel_consumer (${unconfirmed.join(', ')})`);
  const drain: DrainNode[] = chosen.filter((c) => confirmed.includes(c.node)).map((c) => ({ node: c.node, taskId: c.task.taskId, taskArn: c.task.taskArn }));
  return {
    ...w,
    status: 'draining',
    drain,
    drainStartedAt: rt.now(),
    deadline: rt.now() + cfg.drainTimeoutSeconds * 1000,
    pollSeconds: POLL_SECONDS,
    result: `draining ${drain.map((d) => d.node).join(', ')}${unconfirmed.length ? ` (no confirmation from ${unconfirmed.join(', ')})` : ''}`,
  };
}

/**
 * CheckDrain: a node is drained when it answers with no active, reserved or scheduled task, or
 * when its ECS task has stopped. No answer is not drained (a busy solo worker cannot answer).
 * The plan behind a drain can go stale while it waits on long tasks: when the service's queues
 * now hold more than the remaining workers finish within the target (the seed's rule at the
 * plan's throughput), the drain is abandoned and nobody is removed.
 */
export async function checkDrain(rt: Runtime, w: ServiceWork): Promise<ServiceWork> {
  const cfg = rt.config.services[w.service];
  const drain = w.drain ?? [];
  const destination = drain.map((d) => d.node);
  const [active, reserved, scheduled, tasks, stale] = await Promise.all([
    rt.control.active({ destination }),
    rt.control.reserved({ destination }),
    rt.control.scheduled({ destination }),
    rt.ecs(cfg.cluster, cfg.service).tasks().catch(() => null),
    staleBacklog(rt, w),
  ]);
  const drained: string[] = [];
  const busy: NonNullable<ServiceWork['busy']> = [];
  for (const d of drain) {
    const task = tasks?.find((t) => t.taskId === d.taskId);
    if (tasks !== null && (task === undefined || task.lastStatus === 'STOPPED')) {
      drained.push(d.node);
      continue;
    }
    const counts = [active, reserved, scheduled].map((r) => r.replies[d.node]);
    if (counts.some((c) => c === undefined)) {
      busy.push({ node: d.node, noReply: true });
      continue;
    }
    const [a, r, s] = counts.map((c) => (Array.isArray(c) ? c.length : 0));
    if (a + r + s === 0) drained.push(d.node);
    else busy.push({ node: d.node, active: a, reserved: r, scheduled: s });
  }
  await renewLock(rt, w);
  if (stale) return { ...w, status: 'abandoned', abandoned: true, drained: [], busy, pollSeconds: 0, result: `drain abandoned: ${stale}` };
  const now = rt.now();
  const status = busy.length === 0 ? 'drained' : now >= (w.deadline ?? 0) ? 'timedOut' : 'waiting';
  const left = Math.max(0, Math.round(((w.deadline ?? now) - now) / 1000));
  const result = status === 'drained'
    ? `drained ${drained.join(', ')}`
    : `${drained.length}/${drain.length} drained; busy: ${busy.map((b) => ('noReply' in b ? `${b.node} (no reply)` : `${b.node} (${b.active} active, ${b.reserved} reserved, ${b.scheduled} scheduled)`)).join(', ')}${status === 'timedOut' ? '; drain timed out' : `; ${left} s left`}`;
  return { ...w, status, drained, busy, pollSeconds: Math.max(1, Math.min(POLL_SECONDS, left)), result };
}

/**
 * Why a drain's plan went stale, or null: the service's queues now hold more than the planned
 * workers finish within the target (the seed's rule at the plan's throughput).
 */
export async function staleBacklog(rt: Runtime, w: ServiceWork): Promise<string | null> {
  const cfg = rt.config.services[w.service];
  const depths = await readQueueDepths(rt.redis, rt.config.broker, cfg.queues);
  const pending = Object.values(depths.pending).reduce((a, b) => a + b, 0);
  const needed = staleDrainNeed(pending, w.perWorkerPerMinute ?? cfg.tasksPerWorkerPerMinute, cfg.targetMinutes, w.to);
  return needed === null ? null : `${pending} pending need ${needed} workers, more than the ${w.to} planned`;
}

/** RestoreConsumers: the drain timed out (still-busy nodes get their queues back) or was abandoned (all do). */
export async function restoreConsumers(rt: Runtime, w: ServiceWork): Promise<ServiceWork> {
  const cfg = rt.config.services[w.service];
  await renewLock(rt, w);
  const drained = new Set(w.drained ?? []);
  const restore = (w.drain ?? []).filter((d) => !drained.has(d.node)).map((d) => d.node);
  await rt.control.addConsumers(cfg.queues, restore);
  return {
    ...w,
    drain: (w.drain ?? []).filter((d) => drained.has(d.node)),
    restored: restore,
    result: w.abandoned
      ? `${w.result}: queues given back to ${restore.join(', ')}, nobody removed`
      : `drain timed out: consumers restored to ${restore.join(', ') || 'none'}; removing only ${[...drained].join(', ') || 'none'}`,
  };
}
