import type { ServiceConfig } from '../config';
import { chooseDrainNodes } from '../cycle/choose';
import type { Observation } from '../observation';
import { cooldownVerdict, staleDrainNeed, type ServiceHistory } from '../planner';
import type { Cloud } from './model';

/** What lib/state keeps per service besides the planner's history: when it last scaled. */
export type ScaleTimes = Pick<ServiceHistory, 'lastScaleUpAt' | 'lastScaleDownAt'>;

export interface CycleChange {
  service: string;
  to: number;
  direction: 'up' | 'down';
  /** The throughput the plan used; a drain checks its target against new work with it. */
  perWorkerPerMinute?: number;
}

/** ComputePlan's part: from one measurement to the changes it asks for. */
export type Decide = (observation: Observation, nowMs: number, times: Record<string, ScaleTimes>) => CycleChange[];

/** CheckDrain's poll (lib/cycle/drain.ts) and the wait before ReleaseProtection (scale-down.ts). */
const POLL_SECONDS = 5;

/**
 * One execution of the state machine every `cycleSeconds`, as statemachines/autoscaler.asl.json
 * runs it: MeasureQueues → ComputePlan → per change CheckCooldown (lock + cooldown) → ScaleUp,
 * or DrainWorkers → (WaitForDrain → CheckDrain)* → [RestoreConsumers] → ScaleDown →
 * WaitForTasksToStop → ReleaseProtection. A service stays locked for its whole drain, so later
 * cycles measure and plan it but cannot scale it (CheckCooldown's lock).
 */
export function startCycles(cloud: Cloud, services: Record<string, ServiceConfig>, cycleSeconds: number, decide: Decide): void {
  const times: Record<string, ScaleTimes> = Object.fromEntries(Object.keys(services).map((s) => [s, {}]));
  const locked = new Set<string>();

  const scaleUp = (service: string, to: number) => {
    cloud.setDesired(service, Math.max(cloud.desired(service), to));
    times[service] = { ...times[service], lastScaleUpAt: cloud.nowMs };
  };

  const drain = (service: string, to: number, observation: Observation, mu: number) => {
    const cfg = services[service];
    const k = cloud.desired(service) - to;
    const chosen = k > 0 ? chooseDrainNodes(observation.services[service].nodes, cloud.ecsTasks(service), k, mu) : [];
    if (chosen.length === 0) return;
    const nodes = chosen.map((c) => c.node);
    const taskOf = new Map(chosen.map((c) => [c.node, c.task.taskId]));
    cloud.cancelConsumer(nodes);
    locked.add(service);
    const deadline = cloud.now + cfg.drainTimeoutSeconds;
    const check = () => {
      // CheckDrain gives the drain up when the queues filled again (lib/cycle/drain.ts).
      const pending = Object.values(cloud.observe().services[service].queues).reduce((a, b) => a + b, 0);
      if (staleDrainNeed(pending, mu, cfg.targetMinutes, to) !== null) {
        cloud.addConsumer(nodes);
        scaleDown(service, []);
        return;
      }
      const live = new Set(cloud.ecsTasks(service).filter((t) => t.lastStatus !== 'STOPPED').map((t) => t.taskId));
      const drained = nodes.filter((n) => {
        if (!live.has(taskOf.get(n) as string)) return true;
        const held = cloud.inspect(n);
        return held !== null && held.active + held.reserved + held.scheduled === 0;
      });
      const busy = nodes.filter((n) => !drained.includes(n));
      if (busy.length > 0 && cloud.now < deadline) {
        cloud.after(Math.max(1, Math.min(POLL_SECONDS, Math.round(deadline - cloud.now))), check);
        return;
      }
      if (busy.length > 0) cloud.addConsumer(busy);
      scaleDown(service, drained.map((n) => taskOf.get(n) as string));
    };
    cloud.after(POLL_SECONDS, check);
  };

  const scaleDown = (service: string, drainedTasks: string[]) => {
    if (drainedTasks.length === 0) {
      locked.delete(service);
      return;
    }
    const drainIds = new Set(drainedTasks);
    const live = cloud.ecsTasks(service).filter((t) => t.desiredStatus !== 'STOPPED');
    const keep = live.filter((t) => !drainIds.has(t.taskId)).map((t) => t.taskId);
    const present = live.length - keep.length;
    cloud.protect(service, keep, true);
    cloud.setDesired(service, Math.max(0, cloud.desired(service) - present));
    times[service] = { ...times[service], lastScaleDownAt: cloud.nowMs };
    cloud.after(POLL_SECONDS, () => {
      cloud.protect(service, keep, false);
      locked.delete(service);
    });
  };

  cloud.every(cycleSeconds, () => {
    const observation = cloud.observe();
    for (const change of decide(observation, observation.at, times)) {
      if (locked.has(change.service)) continue;
      if (!cooldownVerdict(services[change.service], change.direction, times[change.service], cloud.nowMs).allowed) continue;
      if (change.direction === 'up') scaleUp(change.service, change.to);
      else drain(change.service, change.to, observation, change.perWorkerPerMinute ?? services[change.service].tasksPerWorkerPerMinute);
    }
  });
}
