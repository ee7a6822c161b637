import { z } from 'zod';
import type { ServiceConfig } from '../../config';
import type { Cloud } from '../model';
import { emptyHpaState, hpaRecommendation, hpaSync, type HpaState } from './hpa';
import { parseOptions, type Policy, type SimSetup } from './types';

/**
 * KEDA's Redis list scaler driving an HPA (keda.sh/docs/latest/scalers/redis-lists/,
 * keda.sh/docs/latest/reference/scaledobject-spec/), one trigger per queue. Like KEDA's scalers:
 * options parsed into a typed struct, a metric read, a replica count.
 */
const kedaSchema = z.object({
  /** Target list length per replica (the scaler's `listLength`). */
  listLength: z.number().positive('must be > 0'),
  /** The scaler is active (0 → 1) when a list is longer than this. */
  activationListLength: z.number().nonnegative().default(0),
  pollingIntervalSeconds: z.number().positive().default(30),
  /** After the last active poll, this long before scaling 1 → 0 (only to 0: KEDA leaves the rest to the HPA). */
  cooldownPeriodSeconds: z.number().nonnegative().default(300),
  minReplicaCount: z.number().int().nonnegative().default(0),
  maxReplicaCount: z.number().int().positive('must be ≥ 1').default(100),
  hpaSyncPeriodSeconds: z.number().positive().default(15),
  tolerance: z.number().nonnegative().default(0.1),
  scaleUpStabilizationSeconds: z.number().nonnegative().default(0),
  scaleUpPods: z.number().int().positive().default(4),
  scaleUpPercent: z.number().positive().default(100),
  scaleDownStabilizationSeconds: z.number().nonnegative().default(300),
  scaleDownPercent: z.number().positive().max(100).default(100),
  periodSeconds: z.number().positive().default(15),
}).strict();

export type KedaOptions = z.infer<typeof kedaSchema>;

export const parseKedaOptions = (raw: unknown): KedaOptions => parseOptions(kedaSchema, 'KEDA options', raw);

/** The best a user could tune it: one replica per what one worker finishes within the target. */
export const kedaOptionsFor = (cfg: ServiceConfig): KedaOptions => parseKedaOptions({
  listLength: cfg.tasksPerWorkerPerMinute * cfg.targetMinutes,
  minReplicaCount: cfg.minWorkers,
  maxReplicaCount: Math.max(1, cfg.maxWorkers),
});

function startKeda(cloud: Cloud, service: string, o: KedaOptions): void {
  let hpa: HpaState = emptyHpaState();
  let lastActive = -Infinity;
  let lastPoll = -Infinity;
  cloud.every(o.hpaSyncPeriodSeconds, () => {
    const lists = Object.values(cloud.observe().services[service].queues);
    const current = cloud.desired(service);
    if (cloud.now - lastPoll >= o.pollingIntervalSeconds) {
      lastPoll = cloud.now;
      if (lists.some((len) => len > o.activationListLength)) {
        lastActive = cloud.now;
        if (current === 0) return cloud.setDesired(service, Math.max(1, o.minReplicaCount));
      } else if (current > 0 && o.minReplicaCount === 0 && cloud.now - lastActive >= o.cooldownPeriodSeconds) {
        hpa = emptyHpaState();
        return cloud.setDesired(service, 0);
      }
    }
    if (current === 0) return;
    const recommendation = hpaRecommendation(lists, o.listLength, current, o.tolerance);
    const next = hpaSync(hpa, o, cloud.now, current, recommendation, Math.max(1, o.minReplicaCount), o.maxReplicaCount);
    hpa = next.state;
    if (next.replicas !== current) cloud.setDesired(service, next.replicas);
  });
}

export function kedaPolicy(setup: SimSetup): Policy {
  return {
    name: 'keda',
    initialWorkers: (s) => s.config.minWorkers,
    start: (cloud) => setup.services.forEach((s) => startKeda(cloud, s.name, kedaOptionsFor(s.config))),
  };
}
