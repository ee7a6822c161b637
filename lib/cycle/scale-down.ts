import type { Runtime } from '../runtime';
import { staleBacklog } from './drain';
import { renewLock } from './lock';
import type { ServiceWork } from './payloads';

/** Protection outlives the wait for the drained tasks to stop, and expires soon after a dead cycle. */
const PROTECTION_MINUTES = 10;
const STOP_WAIT_MS = 5 * 60 * 1000;
const POLL_SECONDS = 5;

/**
 * ScaleDown: protect every other task of the service from scale-in, then set
 * desired = current − drained tasks still present, so ECS stops exactly the drained ones.
 * The last look before removing anyone: if new work arrived since the last CheckDrain that
 * needs these workers, they get their queues back instead.
 */
export async function scaleDown(rt: Runtime, w: ServiceWork): Promise<ServiceWork> {
  const cfg = rt.config.services[w.service];
  const drain = w.drain ?? [];
  await renewLock(rt, w);
  // ReleaseProtection ends every path (record, protection, lock), so no other cycle slips in between.
  if (drain.length === 0) return { ...w, status: 'done', pollSeconds: 0, result: w.result ?? 'nothing drained, nothing removed' };
  const stale = await staleBacklog(rt, w);
  if (stale) {
    const nodes = drain.map((d) => d.node);
    await rt.control.addConsumers(cfg.queues, nodes);
    return { ...w, status: 'done', abandoned: true, restored: nodes, drain: [], pollSeconds: 0, result: `scale-down abandoned: ${stale}: queues given back to ${nodes.join(', ')}, nobody removed` };
  }
  const svc = rt.ecs(cfg.cluster, cfg.service);
  const [desc, tasks] = await Promise.all([svc.describe(), svc.tasks()]);
  const drainIds = new Set(drain.map((d) => d.taskId));
  const live = tasks.filter((t) => t.lastStatus !== 'STOPPED' && t.desiredStatus !== 'STOPPED');
  const keep = live.filter((t) => !drainIds.has(t.taskId)).map((t) => t.taskArn);
  const present = live.filter((t) => drainIds.has(t.taskId)).length;
  const desired = Math.max(0, desc.desired - present);
  if (desired === desc.desired) {
    // The drained tasks stopped on their own (and ECS may have replaced them): nothing to remove, nothing to protect.
    return { ...w, status: 'done', pollSeconds: 0, result: `nothing removed: the drained worker(s) ${drain.map((d) => d.node).join(', ')} already stopped; the next cycle plans again` };
  }
  await rt.state.saveProtected(w.service, keep, PROTECTION_MINUTES * 60_000);
  await svc.protect(keep, PROTECTION_MINUTES);
  await svc.setDesiredCount(desired);
  await rt.state.recordScale(w.service, 'down', rt.now());
  return {
    ...w,
    scaledDown: true,
    status: 'stopping',
    stopDeadline: rt.now() + STOP_WAIT_MS,
    pollSeconds: POLL_SECONDS,
    result: `scaled down ${desc.desired} → ${desired}: stopping ${drain.map((d) => d.node).join(', ')} (${w.reason})`,
  };
}

/**
 * ReleaseProtection: once the drained tasks have stopped (or the wait is over), clear the
 * protection this cycle set (left on, it blocks ECS deployments) and release the lock.
 */
export async function releaseProtection(rt: Runtime, w: ServiceWork): Promise<ServiceWork> {
  const cfg = rt.config.services[w.service];
  const svc = rt.ecs(cfg.cluster, cfg.service);
  // Still ours? The protection record is the service's, not this cycle's: never clear another's.
  await renewLock(rt, w);
  const tasks = await svc.tasks();
  const drainIds = new Set((w.drain ?? []).map((d) => d.taskId));
  const stillUp = tasks.filter((t) => drainIds.has(t.taskId) && t.lastStatus !== 'STOPPED');
  if (stillUp.length > 0 && rt.now() < (w.stopDeadline ?? 0)) return { ...w, status: 'stopping', pollSeconds: POLL_SECONDS };
  await clearProtection(rt, w.service);
  await rt.state.clearDrain(w.service);
  await rt.state.releaseLock(w.service, w.cycle.execution);
  const late = stillUp.length > 0 ? `; ${stillUp.length} drained task(s) still stopping` : '';
  return { ...w, status: 'done', pollSeconds: 0, result: `${w.result ?? 'scaled down'}${late}` };
}

/** Unprotects the tasks this service's scale-down protected that are still there. */
export async function clearProtection(rt: Runtime, service: string): Promise<void> {
  const cfg = rt.config.services[service];
  const arns = await rt.state.protectedTasks(service);
  if (arns.length === 0) return;
  const svc = rt.ecs(cfg.cluster, cfg.service);
  const present = new Set((await svc.tasks()).filter((t) => t.lastStatus !== 'STOPPED').map((t) => t.taskArn));
  const toClear = arns.filter((a) => present.has(a));
  if (toClear.length > 0) await svc.unprotect(toClear);
  await rt.state.clearProtected(service);
}
