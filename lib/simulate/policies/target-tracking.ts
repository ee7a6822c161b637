import { z } from 'zod';
import type { ServiceConfig } from '../../config';
import { pendingTotal } from '../../observation';
import type { Cloud } from '../model';
import { clamp, parseOptions, type Policy, type SimSetup } from './types';

/**
 * ECS service auto scaling with a target tracking policy on "backlog per task" (AWS's documented
 * pattern for queue workers): metric = pending / running at 1-minute resolution. The alarms that
 * Application Auto Scaling creates: scale-out after 3 datapoints above target, scale-in after 15
 * below 90% of it; cooldowns default to 300 s for ECS services (TargetTrackingScalingPolicyConfiguration).
 */
const targetTrackingSchema = z.object({
  targetValue: z.number().positive('must be > 0'),
  periodSeconds: z.number().positive().default(60),
  scaleOutDatapoints: z.number().int().positive().default(3),
  scaleInDatapoints: z.number().int().positive().default(15),
  scaleInRatio: z.number().positive().max(1).default(0.9),
  scaleOutCooldownSeconds: z.number().nonnegative().default(300),
  scaleInCooldownSeconds: z.number().nonnegative().default(300),
  minCapacity: z.number().int().nonnegative().default(0),
  maxCapacity: z.number().int().nonnegative(),
}).strict();

export type TargetTrackingOptions = z.infer<typeof targetTrackingSchema>;

export const parseTargetTrackingOptions = (raw: unknown): TargetTrackingOptions => parseOptions(targetTrackingSchema, 'target tracking options', raw);

export const targetTrackingOptionsFor = (cfg: ServiceConfig): TargetTrackingOptions => parseTargetTrackingOptions({
  targetValue: cfg.tasksPerWorkerPerMinute * cfg.targetMinutes,
  minCapacity: cfg.minWorkers,
  maxCapacity: cfg.maxWorkers,
});

/** New capacity when an alarm fires: ⌈running × metric / target⌉ (= ⌈pending / target⌉). */
export const trackedCapacity = (o: TargetTrackingOptions, running: number, metric: number): number =>
  clamp(Math.ceil(Math.max(running, 1) * metric / o.targetValue - 1e-9), o.minCapacity, o.maxCapacity);

function startTargetTracking(cloud: Cloud, service: string, o: TargetTrackingOptions): void {
  const datapoints: number[] = [];
  let lastScaleIn = -Infinity;
  let lastScaleOut = { at: -Infinity, to: 0 };
  cloud.every(o.periodSeconds, () => {
    const obs = cloud.observe().services[service];
    const running = obs.ecs?.running ?? 0;
    const metric = pendingTotal(obs) / Math.max(running, 1);
    datapoints.push(metric);
    if (datapoints.length > o.scaleInDatapoints) datapoints.shift();
    const last = (k: number) => (datapoints.length >= k ? datapoints.slice(-k) : null);
    const desired = cloud.desired(service);
    const next = trackedCapacity(o, running, metric);
    // During the scale-out cooldown the capacity it added counts: only a larger count scales out.
    const outFloor = cloud.now - lastScaleOut.at < o.scaleOutCooldownSeconds ? Math.max(desired, lastScaleOut.to) : desired;
    if (last(o.scaleOutDatapoints)?.every((m) => m > o.targetValue) && next > outFloor) {
      lastScaleOut = { at: cloud.now, to: next };
      cloud.setDesired(service, next);
    } else if (last(o.scaleInDatapoints)?.every((m) => m < o.scaleInRatio * o.targetValue) && next < desired && cloud.now - lastScaleIn >= o.scaleInCooldownSeconds) {
      lastScaleIn = cloud.now;
      cloud.setDesired(service, next);
    }
  });
}

export function targetTrackingPolicy(setup: SimSetup): Policy {
  return {
    name: 'aws',
    initialWorkers: (s) => s.config.minWorkers,
    start: (cloud) => setup.services.forEach((s) => startTargetTracking(cloud, s.name, targetTrackingOptionsFor(s.config))),
  };
}
