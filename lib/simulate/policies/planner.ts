import type { Observation } from '../../observation';
import { startCycles } from '../cycle';
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
