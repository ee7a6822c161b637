import type { Cloud, SimService } from '../model';

export type PolicyName = 'planner' | 'fixed' | 'threshold' | 'keda' | 'aws';

/** A scaling policy in the simulator: the fleet it starts with, and its loop over the Cloud. */
export interface Policy {
  name: PolicyName;
  initialWorkers(service: SimService): number;
  start(cloud: Cloud): void;
}

/** The services of a simulation and how often the autoscaler's cycle runs. */
export interface SimSetup {
  services: SimService[];
  cycleSeconds: number;
}

export const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));
