import type { Policy } from './types';

/** A fixed fleet of `workers` per service, running (and paid) for the whole trace; it never scales. */
export function fixedPolicy(workers: Record<string, number>): Policy {
  return {
    name: 'fixed',
    initialWorkers: (s) => workers[s.name] ?? s.config.maxWorkers,
    start: () => undefined,
  };
}
