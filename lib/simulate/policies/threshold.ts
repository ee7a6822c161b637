import type { ServiceConfig } from '../../config';
import { inFlightTotal, pendingTotal } from '../../observation';
import { startCycles, type CycleChange, type Decide } from '../cycle';
import { clamp, type Policy, type SimSetup } from './types';

/**
 * The seed's threshold rule, run as "our product with the naive rule" (same cycle, same drain):
 * workers = ⌈W / (μ·T)⌉ with the configured μ and W = pending + in flight; no start-up, no
 * arrival rate, no stabilization window. Up when needed > current × scaleUpThreshold, down when
 * needed ≤ current × scaleDownThreshold; the cycle honours the cooldowns.
 */
export function thresholdWorkers(cfg: ServiceConfig, work: number): number {
  const needed = work === 0 ? 0 : Math.ceil(work / (cfg.tasksPerWorkerPerMinute * cfg.targetMinutes) - 1e-9);
  return clamp(needed, cfg.minWorkers, cfg.maxWorkers);
}

export function thresholdDecide(services: Record<string, ServiceConfig>): Decide {
  return (observation) => {
    const changes: CycleChange[] = [];
    for (const [name, cfg] of Object.entries(services)) {
      const obs = observation.services[name];
      const from = obs.ecs?.desired ?? obs.nodes.length;
      const to = thresholdWorkers(cfg, pendingTotal(obs) + inFlightTotal(obs));
      if (to > from && (from < cfg.minWorkers || from === 0 || to > from * cfg.scaleUpThreshold)) changes.push({ service: name, to, direction: 'up' });
      else if (to < from && to <= from * cfg.scaleDownThreshold) changes.push({ service: name, to, direction: 'down' });
    }
    return changes;
  };
}

export function thresholdPolicy(setup: SimSetup): Policy {
  const services = Object.fromEntries(setup.services.map((s) => [s.name, s.config]));
  return {
    name: 'threshold',
    initialWorkers: (s) => s.config.minWorkers,
    start: (cloud) => startCycles(cloud, services, setup.cycleSeconds, thresholdDecide(services)),
  };
}
