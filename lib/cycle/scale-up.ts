import { cooldownVerdict } from '../planner';
import type { Runtime } from '../runtime';
import { lockLeaseMs, renewLock } from './lock';
import type { ServiceWork } from './payloads';

/** CheckCooldown: take the service lock (token = execution name), then honour its cooldown. */
export async function checkCooldown(rt: Runtime, w: ServiceWork): Promise<ServiceWork> {
  const cfg = rt.config.services[w.service];
  const lock = await rt.state.acquireLock(w.service, w.cycle.execution, lockLeaseMs());
  if (!lock.acquired) {
    return { ...w, allowed: false, status: 'held', result: `held: another cycle (${lock.holder}) is scaling ${w.service}` };
  }
  if (!w.skipCooldown) {
    const times = (await rt.state.scaleTimes([w.service]))[w.service];
    const verdict = cooldownVerdict(cfg, w.direction, times, rt.now());
    if (!verdict.allowed) {
      await rt.state.releaseLock(w.service, w.cycle.execution);
      return { ...w, allowed: false, status: 'held', result: `held: ${verdict.reason}` };
    }
  }
  return { ...w, allowed: true };
}

/**
 * ScaleUp: an absolute desired count, never "+N", so a retried step does not double-scale; and
 * never lower than what ECS already has (someone may have scaled further meanwhile). The lock is
 * released on success only: a failed attempt keeps it for the state machine's retry, and
 * ReleaseAfterError frees it if every retry fails.
 */
export async function scaleUp(rt: Runtime, w: ServiceWork): Promise<ServiceWork> {
  const cfg = rt.config.services[w.service];
  const svc = rt.ecs(cfg.cluster, cfg.service);
  await renewLock(rt, w);
  const current = await svc.describe();
  const target = Math.max(current.desired, w.to);
  if (target !== current.desired) await svc.setDesiredCount(target);
  await rt.state.recordScale(w.service, 'up', rt.now());
  await rt.state.releaseLock(w.service, w.cycle.execution);
  return { ...w, status: 'scaledUp', result: `scaled up ${current.desired} → ${target}: ${w.reason}` };
}
