import type { ServiceConfig } from '../../config';
import { decide } from '../../cycle/compute-plan';
import type { Observation } from '../../observation';
import type { ServiceHistory } from '../../planner';
import { horizonNeed, type HorizonSizing } from '../../planner/horizon';
import { startCycles, type CycleChange, type Decide } from '../cycle';
import type { Policy, SimSetup } from './types';

/** This product: the deployed cycle's steps (lib/cycle), its planner included, over the world's ports. */
export function plannerPolicy(setup: SimSetup, onObservation?: (o: Observation) => void): Policy {
  const services = Object.fromEntries(setup.services.map((s) => [s.name, s.config]));
  return {
    name: 'planner',
    initialWorkers: (s) => s.config.minWorkers,
    start: (cloud) => startCycles(cloud, services, setup.cycleSeconds, undefined, { onObservation }),
  };
}

/**
 * The planner with the horizon model (lib/planner/horizon.ts) in place of its sizing rules, over
 * the same cycle steps: ComputePlan's decision sized by `horizonNeed`. The LP solver must be
 * loaded (`loadSolver`, which `simulate` does).
 */
export function horizonPolicy(setup: SimSetup): Policy {
  const services = Object.fromEntries(setup.services.map((s) => [s.name, s.config]));
  return {
    name: 'horizon',
    initialWorkers: (s) => s.config.minWorkers,
    start: (cloud) => startCycles(cloud, services, setup.cycleSeconds, plannerDecide(services, horizonNeed)),
  };
}

/**
 * ComputePlan's own decision (lib/cycle/compute-plan.ts) as a Decide, for a policy that plans some
 * services with this planner and others otherwise (the oracle); it keeps its history as the
 * history port would.
 */
export function plannerDecide(services: Record<string, ServiceConfig>, horizon?: HorizonSizing): Decide {
  let histories: Record<string, ServiceHistory | undefined> = {};
  return (observation, nowMs, times) => {
    const cycle = { execution: 'sim', at: nowMs, dryRun: false, skipCooldown: false };
    const out = decide(services, { cycle }, observation, { skipCooldown: false, dryRun: false, horizon }, { histories, times });
    histories = out.histories;
    return out.output.changes.map((c): CycleChange => ({ service: c.service, to: c.to, direction: c.direction, ...(c.perWorkerPerMinute ? { perWorkerPerMinute: c.perWorkerPerMinute } : {}) }));
  };
}
