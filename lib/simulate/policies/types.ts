import type { z } from 'zod';
import { formatIssues } from '../../config';
import { ValidationError } from '../../errors';
import type { Cloud, SimService } from '../model';

export type PolicyName = 'planner' | 'horizon' | 'fixed' | 'threshold' | 'keda' | 'aws' | 'oracle';

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

/** A baseline's options, KEDA-scaler style: typed, with defaults, an error naming the field. */
export function parseOptions<S extends z.ZodTypeAny>(schema: S, what: string, raw: unknown): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new ValidationError(what, formatIssues(r.error));
  return r.data;
}
