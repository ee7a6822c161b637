import { serviceSchema, type ServiceConfigInput } from '../../lib/config';
import { World, type Cloud, type SimService } from '../../lib/simulate/engine';
import type { Policy, SimSetup } from '../../lib/simulate/policies/types';
import { workerModel, type ServiceFacts } from '../../lib/simulate/reference';
import { runPolicy } from '../../lib/simulate/run';
import type { Trace, TraceTask } from '../../lib/simulate/trace';

/** One simulated service consuming queue `q`, with the schema's defaults unless overridden. */
export function simService(facts: Partial<ServiceFacts> = {}, config: Partial<ServiceConfigInput> = {}, name = 'default'): SimService {
  const f: ServiceFacts = { queues: ['q'], concurrency: 1, startupSeconds: 0, targetMinutes: 5, minWorkers: 0, maxWorkers: 10, ...facts };
  return {
    name,
    config: serviceSchema.parse({ cluster: 'sim', service: name, queues: f.queues, minWorkers: f.minWorkers, maxWorkers: f.maxWorkers, targetMinutes: f.targetMinutes, startupSeconds: f.startupSeconds, tasksPerWorkerPerMinute: 6, ...config }),
    worker: workerModel(f),
  };
}

export const setupOf = (...services: SimService[]): SimSetup => ({ services, cycleSeconds: 60 });

export const traceOf = (tasks: TraceTask[], horizonSeconds = 0): Trace => ({ name: 'test', tasks, horizonSeconds });

/** A policy written inline: a fleet at t = 0 and a script over the Cloud. */
export const scripted = (initial: number, start: (cloud: Cloud) => void = () => undefined): Policy => ({ name: 'fixed', initialWorkers: () => initial, start });

export function run(trace: Trace, setup: SimSetup, policy: Policy): World {
  return runPolicy(trace, setup, policy).world;
}
