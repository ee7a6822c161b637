import type { ServiceConfig } from '../../config';
import type { Observation } from '../../observation';
import { emptyHistory, plan, type ServiceHistory } from '../../planner';
import { startCycles, type CycleChange, type Decide } from '../cycle';
import type { Policy, SimSetup } from './types';

/**
 * This product: the real planner (lib/planner) behind the real cycle's semantics. It keeps the
 * planner's history between cycles as lib/state does, and sees only an Observation.
 */
export function plannerDecide(services: Record<string, ServiceConfig>, onObservation?: (o: Observation) => void): Decide {
  let stored: Record<string, ServiceHistory> = {};
  return (observation, nowMs, times) => {
    onObservation?.(observation);
    const histories: Record<string, ServiceHistory> = {};
    for (const name of Object.keys(services)) histories[name] = { ...(stored[name] ?? emptyHistory()), ...times[name] };
    const result = plan(services, observation, histories, nowMs);
    stored = result.histories;
    return result.changes.map((c): CycleChange => ({ service: c.service, to: c.to, direction: c.direction === 'down' ? 'down' : 'up', perWorkerPerMinute: c.mu }));
  };
}

export function plannerPolicy(setup: SimSetup, onObservation?: (o: Observation) => void): Policy {
  const services = Object.fromEntries(setup.services.map((s) => [s.name, s.config]));
  return {
    name: 'planner',
    initialWorkers: (s) => s.config.minWorkers,
    start: (cloud) => startCycles(cloud, services, setup.cycleSeconds, plannerDecide(services, onObservation)),
  };
}
